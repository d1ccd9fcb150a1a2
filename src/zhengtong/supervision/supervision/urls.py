"""Pages of supervision, under /supervision/."""

from django.urls import path

from . import views, views_cases, views_risk

app_name = "supervision"
urlpatterns = [
    path("laws/", views.law_list, name="law-list"),
    path("laws/<uuid:public_id>/", views.law_detail, name="law-detail"),
    path("items/", views.item_list, name="item-list"),
    path("items/<uuid:public_id>/", views.item_detail, name="item-detail"),
    path("items/<uuid:public_id>/review/", views.item_review, name="item-review"),
    path("inspectors/", views.inspector_list, name="inspector-list"),
    path("inspectors/register/", views.inspector_register, name="inspector-register"),
    path("inspectors/<uuid:public_id>/conflicts/", views.inspector_conflicts, name="inspector-conflicts"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/<uuid:public_id>/", views.plan_detail, name="plan-detail"),
    path("plans/<uuid:public_id>/<slug:action>/", views.plan_act, name="plan-act"),
    path("plans/<uuid:public_id>/entities/<str:uscc>/<slug:action>/", views.plan_entity_act, name="plan-entity-act"),
    path("inspections/", views_cases.inspection_list, name="inspection-list"),
    path("inspections/<uuid:public_id>/recheck/", views_cases.inspection_recheck, name="inspection-recheck"),
    path("inspections/<uuid:public_id>/<str:uscc>/", views_cases.inspection_record, name="inspection-record"),
    path("cases/", views_cases.case_list, name="case-list"),
    path("cases/<uuid:public_id>/", views_cases.case_detail, name="case-detail"),
    path("cases/<uuid:public_id>/<slug:action>/", views_cases.case_act, name="case-act"),
    path("public/penalties/", views_cases.public_penalties, name="public-penalties"),
    path("public/", views.public_plan_list, name="public-list"),
    path("public/method/", views.method, name="method"),
    path("public/<uuid:public_id>/", views.public_plan_detail, name="public-detail"),
    path("public/<uuid:public_id>/candidates.tsv", views.public_candidates, name="public-candidates"),
    path("public/<uuid:public_id>/verify/", views.public_verify, name="public-verify"),
    path("risk/", views_risk.risk_list, name="risk-list"),
    path("risk/<uuid:public_id>/", views_risk.risk_detail, name="risk-detail"),
    path("risk/<uuid:public_id>/feedback/", views_risk.risk_feedback, name="risk-feedback"),
]
