"""The advisory board's admin, split as ``django.contrib.admin`` is: the site, the dashboard,
the version pages with their buttons, assignments, the audit trail, and the forms.

Reviewers see the versions assigned to them; editors see everything; authors have no admin
at all. Nothing here writes a state: every button and admin action calls a service through
``editorial.verbs``, and a refusal comes back with the service's own words. No model is
editable through a change form.
"""
