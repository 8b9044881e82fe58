"""The customer's survey form: the overall score (required), five optional dimensions and a comment."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import SURVEY_DIMENSIONS
from tickets.services.surveys import COMMENT_MAX, SCORES

SCORE_CHOICES = [(score, str(score)) for score in SCORES]

# What each score question asks, in the order of the page; the labels name the field in error messages.
QUESTIONS = {
    "overall": _("Overall satisfaction"),
    "response_speed": _("Response speed"),
    "attitude": _("Service attitude"),
    "resolution_efficiency": _("Resolution efficiency"),
    "process_convenience": _("Process convenience"),
    "channel": _("Contact channel"),
}
HELP = {
    "overall": _("How satisfied are you with how we handled your request?"),
    "response_speed": _("How quickly did we answer you?"),
    "attitude": _("Were we friendly and helpful?"),
    "resolution_efficiency": _("How efficiently was your problem solved?"),
    "process_convenience": _("How easy was the process for you?"),
    "channel": _("How did you like the way you reached us (web, e-mail, phone, chat)?"),
}


def _score_field(name: str, *, required: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=QUESTIONS[name],
        help_text=HELP[name],
        choices=SCORE_CHOICES,
        coerce=int,
        empty_value=None,
        required=required,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose a score from 1 to 5."),
            "invalid_choice": _("Please choose a score from 1 to 5."),
        },
    )


class SurveyForm(forms.Form):
    overall = _score_field("overall", required=True)
    response_speed = _score_field("response_speed", required=False)
    attitude = _score_field("attitude", required=False)
    resolution_efficiency = _score_field("resolution_efficiency", required=False)
    process_convenience = _score_field("process_convenience", required=False)
    channel = _score_field("channel", required=False)
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
        error_messages={"max_length": _("Please keep the comment under %(limit_value)d characters.")},
    )

    def score_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("overall", *SURVEY_DIMENSIONS)]

    def named_errors(self) -> list[dict[str, Any]]:
        """Every error with the label of its field, for the summary at the top of the page."""
        return [
            {"id": self[name].auto_id, "label": self.fields[name].label, "message": message}
            for name, messages in self.errors.items()
            if name in self.fields
            for message in messages
        ]
