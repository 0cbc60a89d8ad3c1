"""Routes: the toolkit under /o/ (its OpenID issuer is BASE_URL/o), Django's login form, and an
authorize endpoint that refuses an OpenID request without a nonce, as strict providers do."""

from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from oauth2_provider import urls as dot_urls
from oauth2_provider.views import AuthorizationView


class NonceRequiredAuthorizationView(AuthorizationView):
    """The toolkit's authorize view, refusing `scope=openid` without a `nonce`."""

    def dispatch(self, request, *args, **kwargs):
        scope = request.GET.get("scope", "").split()
        if request.method == "GET" and "openid" in scope and not request.GET.get("nonce"):
            return JsonResponse(
                {"error": "invalid_request", "error_description": "nonce required"}, status=400
            )
        return super().dispatch(request, *args, **kwargs)


dot_patterns = [
    path("authorize/", NonceRequiredAuthorizationView.as_view(), name="authorize"),
    *[p for p in dot_urls.urlpatterns if getattr(p, "name", None) != "authorize"],
]

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include((dot_patterns, "oauth2_provider"), namespace="oauth2_provider")),
]
