from django.urls import path
from rest_framework.authtoken.views import ObtainAuthToken

from . import api

urlpatterns = [
    path("me/", api.me, name="api-me"),
    # POST username + password → {"token": …}; failures count towards the login lockout (axes).
    path("auth/token/", ObtainAuthToken.as_view(), name="api-token"),
]
