from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import User
from .services import send_invitation

admin.site.site_header = _("CPE Portal administration")
admin.site.site_title = _("CPE Portal admin")
admin.site.index_title = _("What waits for you")


def _signed_in_staff_go_on(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """Where the admin's own login form was: signed-in staff go on to the page they asked for.
    No password is ever read here; `secure_admin_login` sends everyone else away first."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("admin:index")
    return HttpResponseRedirect(next_url)


def _portal_password_change(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """Staff change their password where holders do, with its limits and notification."""
    return redirect("account_change_password")


# One way in: the admin signs in through the portal's sign-in, with its rate limits and
# two-factor authentication (a visitor is sent there, a holder refused); Django's own login
# form, which has neither, is never shown. Passwords are changed on the portal's page too.
# common.middleware.StaffTwoFactorMiddleware then admits only staff who passed the second factor.
admin.site.login = secure_admin_login(_signed_in_staff_go_on)
admin.site.password_change = _portal_password_change


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

    # Mailing people a way in is a change to their account, not something to do from a view.
    @admin.action(description=_("Send an invitation (a link to choose a password)"),
                  permissions=("change",))
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
