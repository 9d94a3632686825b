from rest_framework.routers import SimpleRouter

from .api import AssessmentViewSet, DevelopmentScheduleViewSet, DevelopmentStepViewSet, MemberViewSet
from .api_transfers import MobileRecordViewSet, TransferViewSet

router = SimpleRouter()
router.register("transfers", TransferViewSet, basename="transfer")
router.register("mobile-records", MobileRecordViewSet, basename="mobile-record")
router.register("members", MemberViewSet, basename="member")
router.register("development-steps", DevelopmentStepViewSet, basename="development-step")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("development-schedule", DevelopmentScheduleViewSet, basename="development-schedule")

urlpatterns = router.urls
