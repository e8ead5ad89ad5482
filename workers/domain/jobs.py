"""Every RQ job by name: the one place a job name is written.

A job is enqueued by its `Job` member (workers.queues maps each to its queue and to the function
`workers.jobs.<value>`), so the bot never imports the job modules, and a renamed job is a renamed
member that mypy follows, not a string somebody forgot.
"""

from __future__ import annotations

from enum import StrEnum

JOB_MODULE = "workers.jobs"
"""The module that holds one function per member, named as the member's value."""


class Job(StrEnum):
    OPEN_MIGRATION_REQUEST = "open_migration_request"
    OPEN_CLEANUP_REQUEST = "open_cleanup_request"
    PRECHECK_FOR_USER = "precheck_for_user"
    VERIFY_FOR_USER = "verify_for_user"
    LIST_CLUSTERS_FOR_USER = "list_clusters_for_user"
    PLAN_FLEET = "plan_fleet"
    REFRESH_PICKERS = "refresh_pickers"
    COUNT_APPROVAL = "count_approval"
    RUN_MIGRATION = "run_migration"
    FOLLOW_MIGRATION = "follow_migration"
    RUN_CLEANUP = "run_cleanup"
    DELIVER_NOTIFICATIONS = "deliver_notifications"
    DELIVER_WAVE_NOTIFICATIONS = "deliver_wave_notifications"
    RECONCILE = "reconcile"
    OPEN_WAVE_REQUEST = "open_wave_request"
    TICK_WAVE = "tick_wave"
    FREEZE_CHANGED = "freeze_changed"
    PUBLISH_HOME = "publish_home"
    REFRESH_HOMES = "refresh_homes"

    @property
    def path(self) -> str:
        """The dotted path RQ imports the job function by (`workers.jobs.run_migration`)."""
        return f"{JOB_MODULE}.{self.value}"
