from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import User
from .services import send_invitation

admin.site.site_header = _("CPE Portal administration")
admin.site.site_title = _("CPE Portal admin")
admin.site.index_title = _("Reviews, catalogue and holders")


class _UniqueEmailMixin:
    """The login is the email address, compared without case: say so in the form instead of
    letting the case-insensitive unique constraint fail with its technical name."""

    instance: User
    cleaned_data: dict

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        others = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("A user with this email address already exists."), code="unique"
            )
        return email


class UserCreationForm(_UniqueEmailMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserChangeForm(_UniqueEmailMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    actions = ("send_invitations",)

    @admin.action(description=_("Send an invitation (a link to choose a password)"))
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.filter(is_active=True))
        for user in users:
            send_invitation(user=user)
        self.message_user(request, ngettext(
            "Sent %(count)d invitation.", "Sent %(count)d invitations.", len(users),
        ) % {"count": len(users)}, messages.SUCCESS)

    def get_inlines(self, request, obj):
        # A new user has no certifications yet; they are added once the user exists.
        return self.inlines if obj else ()
