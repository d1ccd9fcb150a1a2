"""The public pages of the guide under /services/ (namespace "guide"):

    /services/                  the portal: search, themes, for citizens / for companies
    /services/items/<code>/     an item's guide (办事指南), with the start button
    /services/finder/           the guided finder (智能导服), one question a page
"""

from django.urls import path

from . import views

app_name = "guide"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("finder/", views.finder, name="finder"),
]
