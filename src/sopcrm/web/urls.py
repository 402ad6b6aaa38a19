from django.contrib.auth import views as auth_views
from django.urls import path

from sopcrm.core.models import RecordType

from .forms.auth import LoginForm
from .views import (
    accounts,
    activities,
    approvals,
    board,
    compose,
    contacts,
    deals,
    email_templates,
    home,
    imports,
    intake_form,
    leads,
    mail_review,
    merge,
    notifications,
    playbook,
    reports,
    saved_views,
    search,
    template_changes,
    transitions,
    user_settings,
)

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", home.set_language, name="language"),
    path("", home.home, name="home"),
    path("my-day/tasks/<int:pk>/complete/", home.my_day_task_complete, name="my_day_complete"),
    path(
        "my-day/deals/<int:pk>/expected-close/",
        home.my_day_expected_close,
        name="my_day_expected_close",
    ),
    path("search/", search.search_view, name="search"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create_view, name="account_create"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create_view, name="contact_create"),
    path("contacts/<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_create_view, name="lead_create"),
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<int:keep>/merge/<int:absorb>/", merge.lead_merge_view, name="lead_merge"),
    path("imports/", imports.import_upload_view, name="import_upload"),
    path("imports/<int:pk>/preview/", imports.import_preview_view, name="import_preview"),
    path("imports/<int:pk>/", imports.import_job_view, name="import_job"),
    path("imports/<int:pk>/errors.csv", imports.import_job_errors_view, name="import_job_errors"),
    path("deals/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_create_view, name="deal_create"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("approvals/", approvals.approval_list, name="approval_list"),
    path("approvals/<int:pk>/decide/", approvals.approval_decide_view, name="approval_decide"),
    path("playbook/", playbook.playbook_page, name="playbook"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/me/", reports.reports_me_page, name="reports_me"),
    path("reports/records/", reports.reports_records, name="reports_records"),
    path("reports/monthly/", reports.reports_monthly, name="reports_monthly"),
    path(
        "playbook/versions/<int:number>/",
        playbook.playbook_version_page,
        name="playbook_version",
    ),
    path("views/new/", saved_views.saved_view_create_view, name="saved_view_create"),
    path("views/<int:pk>/edit/", saved_views.saved_view_edit_view, name="saved_view_edit"),
    path("views/<int:pk>/delete/", saved_views.saved_view_delete_view, name="saved_view_delete"),
    path("activities/", activities.activity_list, name="activity_list"),
    path("activities/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path(
        "activities/<int:pk>/complete/",
        activities.activity_complete_view,
        name="activity_complete",
    ),
    path("templates/", email_templates.library_view, name="template_library"),
    path("templates/<int:pk>/", email_templates.template_detail, name="template_detail"),
    path("templates/<int:pk>/edit/", template_changes.template_edit, name="template_edit"),
    path(
        "templates/<int:pk>/variant/",
        template_changes.template_variant_view,
        name="template_variant",
    ),
    path(
        "templates/<int:pk>/propose/",
        template_changes.template_propose_view,
        name="template_propose",
    ),
    path(
        "templates/<int:pk>/promote/",
        template_changes.template_promote_view,
        name="template_promote",
    ),
    path(
        "templates/<int:pk>/decline/",
        template_changes.template_decline_view,
        name="template_decline",
    ),
    path(
        "templates/<int:pk>/archive/",
        template_changes.template_archive_view,
        name="template_archive",
    ),
    path("notifications/", notifications.notification_inbox, name="notifications"),
    path(
        "notifications/read/",
        notifications.notifications_read_view,
        name="notifications_read",
    ),
    path("settings/", user_settings.settings_view, name="settings"),
    path("settings/profile/", user_settings.profile_view, name="settings_profile"),
    path("settings/language/", user_settings.language_view, name="settings_language"),
    path(
        "settings/password/",
        user_settings.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("settings/tokens/new/", user_settings.token_create_view, name="token_create"),
    path(
        "settings/tokens/<int:pk>/revoke/",
        user_settings.token_revoke_view,
        name="token_revoke",
    ),
    path(
        "settings/signatures/new/",
        user_settings.signature_create_view,
        name="signature_create",
    ),
    path(
        "settings/signatures/<int:pk>/edit/",
        user_settings.signature_edit_view,
        name="signature_edit",
    ),
    path(
        "settings/signatures/<int:pk>/delete/",
        user_settings.signature_delete_view,
        name="signature_delete",
    ),
    # Public: the playbook's inquiry forms, no login (docs/intake.md).
    path("intake/<slug:form_key>/", intake_form.intake_form, name="intake_form"),
    path("intake/<slug:form_key>/thanks/", intake_form.intake_thanks, name="intake_thanks"),
    path("mail/review/", mail_review.review_queue, name="mail_review"),
    path(
        "mail/review/<int:pk>/search/",
        mail_review.review_search,
        name="mail_review_search",
    ),
    path(
        "mail/review/<int:pk>/assign/",
        mail_review.review_assign,
        name="mail_review_assign",
    ),
    path(
        "mail/review/<int:pk>/ignore/",
        mail_review.review_ignore,
        name="mail_review_ignore",
    ),
]

# Logging a contact and adding a task work the same on the four kinds of record.
for record_type, prefix in (
    (RecordType.ACCOUNT, "accounts"),
    (RecordType.CONTACT, "contacts"),
    (RecordType.LEAD, "leads"),
    (RecordType.DEAL, "deals"),
):
    urlpatterns += [
        path(
            f"{prefix}/<int:pk>/log/",
            activities.log_activity,
            {"record_type": record_type.value},
            name=f"{record_type.value}_log",
        ),
        path(
            f"{prefix}/<int:pk>/task/",
            activities.add_task,
            {"record_type": record_type.value},
            name=f"{record_type.value}_task",
        ),
    ]

# Leads and deals move through their playbook the same way.
for record_type, prefix in ((RecordType.LEAD, "leads"), (RecordType.DEAL, "deals")):
    urlpatterns += [
        path(
            f"{prefix}/<int:pk>/transitions/<slug:key>/",
            transitions.transition_view,
            {"record_type": record_type.value},
            name=f"{record_type.value}_transition",
        ),
        # The pipeline board and moving a card on it (views/board.py).
        path(
            f"{prefix}/board/",
            board.board_view,
            {"record_type": record_type.value},
            name=f"{record_type.value}_board",
        ),
        path(
            f"{prefix}/<int:pk>/move/<slug:stage>/",
            board.move_view,
            {"record_type": record_type.value},
            name=f"{record_type.value}_move",
        ),
        path(
            f"{prefix}/<int:pk>/exception/",
            transitions.exception_view,
            {"record_type": record_type.value},
            name=f"{record_type.value}_exception",
        ),
        path(
            f"{prefix}/<int:pk>/email/",
            compose.compose_view,
            {"record_type": record_type.value},
            name=f"{record_type.value}_compose",
        ),
    ]
