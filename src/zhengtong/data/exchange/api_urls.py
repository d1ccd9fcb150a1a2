from .directory_api import urlpatterns as directory_urlpatterns
from .gateway_api import urlpatterns as gateway_urlpatterns

# The gateway's patterns first: they take most calls, and none of them matches a directory path.
urlpatterns = gateway_urlpatterns + directory_urlpatterns
