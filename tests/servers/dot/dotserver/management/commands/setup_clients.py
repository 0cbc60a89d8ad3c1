"""Creates the test account and the OAuth clients the acceptance tests use (tests/src/dot.rs).

    python manage.py setup_clients --redirect-port PORT
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model

USERNAME = "alice"
PASSWORD = "wonderland"


class Command(BaseCommand):
    help = "Creates the test user and clients."

    def add_arguments(self, parser):
        parser.add_argument("--redirect-port", type=int, required=True)

    def handle(self, *args, **options):
        port = options["redirect_port"]
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=USERNAME, defaults={"email": "alice@example.org"})
        user.set_password(PASSWORD)
        user.save()
        App = get_application_model()
        clients = [
            # A public native client: authorization code + PKCE, exact redirect URIs.
            dict(
                client_id="tt-native",
                client_type=App.CLIENT_PUBLIC,
                authorization_grant_type=App.GRANT_AUTHORIZATION_CODE,
                redirect_uris=f"http://127.0.0.1:{port}/callback http://localhost:{port}/oauth/cb",
                client_secret="",
                skip_authorization=False,
            ),
            # A confidential service client: client credentials.
            dict(
                client_id="tt-service",
                client_type=App.CLIENT_CONFIDENTIAL,
                authorization_grant_type=App.GRANT_CLIENT_CREDENTIALS,
                client_secret="tt-service-secret",
                redirect_uris="",
            ),
            # A public device client (RFC 8628).
            dict(
                client_id="tt-device",
                client_type=App.CLIENT_PUBLIC,
                authorization_grant_type=App.GRANT_DEVICE_CODE,
                client_secret="",
                redirect_uris="",
            ),
        ]
        for spec in clients:
            App.objects.filter(client_id=spec["client_id"]).delete()
            App.objects.create(
                name=spec["client_id"],
                user=user,
                algorithm=App.RS256_ALGORITHM,
                **spec,
            )
        self.stdout.write("clients ready")
