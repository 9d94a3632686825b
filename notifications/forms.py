from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Preference


class PreferenceForm(forms.ModelForm):
    webhook_url = forms.URLField(
        label=_("群机器人地址"), required=False, assume_scheme="https", max_length=500
    )

    class Meta:
        model = Preference
        fields = (
            "email",
            "sms",
            "webhook",
            "webhook_flavour",
            "webhook_url",
            "digest",
            "quiet_start",
            "quiet_end",
        )
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        data = super().clean()
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            self.add_error("quiet_end", _("免打扰开始和结束时间需同时填写。"))
        if data.get("webhook") and not data.get("webhook_url"):
            self.add_error("webhook_url", _("推送到群机器人需填写机器人地址。"))
        return data
