from .context import request_context


class AuditActorMiddleware:
    """Makes the request's user the actor of every audit entry written while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(request):
            return self.get_response(request)
