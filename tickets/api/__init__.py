"""The ticket API: storefront endpoints (`/api/v1/tickets/`, `/api/v1/sales-stats/`) and staff endpoints
(`/api/v1/desk/`).

Each view parses with an input serializer, calls one selector or service and renders with an output serializer.
Every POST is @idempotent. The schema at /api/schema/ is generated from the extend_schema declarations here.
`common` holds what the other apps' APIs share (error format, output serializers, strict input fields).
"""
