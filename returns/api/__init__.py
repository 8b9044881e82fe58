"""The returns API: storefront endpoints (`/api/v1/returns/`, `/api/v1/refunds/`) and staff endpoints
(`/api/v1/desk/returns/`, `/api/v1/desk/refunds/`).

Each view parses with an input serializer, calls one service or selector and renders with an output serializer.
Every POST is @idempotent. A storefront never sets a status, an amount or a decision: the input serializers have no
such fields, and anything else in a body is ignored; only the actions below change a return.
"""
