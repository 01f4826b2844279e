from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from operators import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("operators/", views.operator_list, name="operators_list"),
    path("operators/new/", views.operator_create, name="operators_create"),
    path("operators/diversity/", views.diversity, name="operators_diversity"),
    path("operators/<uuid:public_id>/", views.operator_detail, name="operators_detail"),
    path("operators/<uuid:public_id>/edit/", views.operator_edit, name="operators_edit"),
    path("operators/<uuid:public_id>/submit/", views.operator_submit, name="operators_submit"),
    path("operators/<uuid:public_id>/link/", views.operator_link, name="operators_link"),
    path("operators/<uuid:public_id>/addresses/", views.operator_address_add, name="operators_address_add"),
    path(
        "operators/<uuid:public_id>/addresses/<int:address_id>/prove/",
        views.operator_address_prove,
        name="operators_address_prove",
    ),
    path("operators/<uuid:public_id>/clusters/", views.operator_cluster_add, name="operators_cluster_add"),
    path("operators/<uuid:public_id>/nodes/new/", views.operator_node_create, name="operators_node_create"),
    path("operators/<uuid:public_id>/nodes/<uuid:node_id>/", views.operator_node_edit, name="operators_node_edit"),
    path(
        "operators/<uuid:public_id>/nodes/<uuid:node_id>/delete/",
        views.operator_node_delete,
        name="operators_node_delete",
    ),
    path(
        "operators/<uuid:public_id>/nodes/<uuid:node_id>/validators/",
        views.operator_node_assign,
        name="operators_node_assign",
    ),
    path("operators/<uuid:public_id>/deposit-data/", views.operator_deposit_data, name="operators_deposit_data"),
    path("operators/<uuid:public_id>/exits/", views.operator_exit_voluntary, name="operators_exit"),
    path("operators/<uuid:public_id>/rewards/", views.operator_rewards, name="operators_rewards"),
    path("staff/operators/", views.staff_operator_list, name="operators_staff_list"),
    path("staff/operators/allocation/", views.staff_allocation, name="operators_staff_allocation"),
    path("staff/operators/<uuid:public_id>/", views.staff_operator_detail, name="operators_staff_detail"),
    path(
        "staff/operators/<uuid:public_id>/transition/",
        views.staff_operator_transition,
        name="operators_staff_transition",
    ),
    path(
        "staff/operators/<uuid:public_id>/checklist/", views.staff_operator_checklist, name="operators_staff_checklist"
    ),
    path("staff/operators/<uuid:public_id>/exits/", views.staff_operator_exit, name="operators_staff_exit"),
    path("staff/operators/<uuid:public_id>/cap/", views.staff_operator_cap, name="operators_staff_cap"),
    path(
        "staff/operators/<uuid:public_id>/adjustments/",
        views.staff_operator_adjustment,
        name="operators_staff_adjustment",
    ),
]
