from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    ArrearsViewSet,
    BaseViewSet,
    CalculatorView,
    ObligationViewSet,
    PaymentViewSet,
    RemittanceViewSet,
)

router = SimpleRouter()
router.register("dues/bases", BaseViewSet, basename="dues-base")
router.register("dues/obligations", ObligationViewSet, basename="dues-obligation")
router.register("dues/payments", PaymentViewSet, basename="dues-payment")
router.register("dues/arrears", ArrearsViewSet, basename="dues-arrears")
router.register("dues/remittances", RemittanceViewSet, basename="dues-remittance")

urlpatterns = [
    path("dues/calculator/", CalculatorView.as_view(), name="dues-calculator"),
    *router.urls,
]
