from django.urls import include, path

urlpatterns = [
    path("", include("xinfang.ops.urls")),  # /healthz, /metrics
    path("api/", include("xinfang.api.urls")),
    path("", include("xinfang.practice.urls")),  # /practice/…, /portal/reception/…
    path("", include("xinfang.web.urls")),
]

# A body over the size limits is answered in Chinese (issue 14 item 15; core.uploads).
handler400 = "xinfang.core.uploads.bad_request"
