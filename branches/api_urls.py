from rest_framework.routers import SimpleRouter

from .api import CommitteePostViewSet, OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("committee-posts", CommitteePostViewSet, basename="committee-post")

urlpatterns = router.urls
