from rest_framework.routers import SimpleRouter

from .api import ItemViewSet, LedgerViewSet, ProgressUpdateViewSet, SuggestionReplyViewSet, SuggestionViewSet

router = SimpleRouter()
router.register("rectification-ledgers", LedgerViewSet, basename="rectification-ledger")
router.register("rectification-items", ItemViewSet, basename="rectification-item")
router.register("rectification-updates", ProgressUpdateViewSet, basename="rectification-update")
router.register("suggestions", SuggestionViewSet, basename="suggestion")
router.register("suggestion-replies", SuggestionReplyViewSet, basename="suggestion-reply")

urlpatterns = router.urls
