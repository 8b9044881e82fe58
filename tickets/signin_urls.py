from django.urls import path

from tickets import signin_views as views

app_name = "signin"
urlpatterns = [
    path("accounts/2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("accounts/2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("desk/preferences/2fa/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("desk/preferences/2fa/off/", views.two_factor_disable, name="two_factor_disable"),
    path("desk/preferences/token/rotate/", views.token_rotate, name="token_rotate"),
    path("desk/preferences/token/revoke/", views.token_revoke, name="token_revoke"),
    path("desk/sign-in-locks/", views.sign_in_locks, name="locks"),
]
