from rest_framework.routers import SimpleRouter

from .api import ActionItemViewSet, MeetingViewSet, ResolutionViewSet, TalkViewSet

router = SimpleRouter()
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("resolutions", ResolutionViewSet, basename="resolution")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("talks", TalkViewSet, basename="talk")

urlpatterns = router.urls
