from django.urls import include, path

urlpatterns = [
    path("", include("xinfang.ops.urls")),  # /healthz, /metrics
    path("api/", include("xinfang.api.urls")),
    path("", include("xinfang.practice.urls")),  # /practice/…, /portal/reception/…
    path("", include("xinfang.web.urls")),
]
