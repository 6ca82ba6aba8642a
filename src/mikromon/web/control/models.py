"""Models of :mod:`mikromon.web.control`: the desired collector state, the
status each running mikromon process publishes, and what the demo created."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = [
    "CollectorControl", "CollectorDeviceStatus", "CollectorMember", "CollectorStatus",
    "DemoObject", "DeviceOwner", "OutputDestination", "RetentionSetting", "UserProfile",
]


class CollectorControl(models.Model):
    """The collector state operators asked for; a single row (primary key 1).

    A running ``mikromon serve`` or ``demo`` reads it every second and starts
    or stops its collector when ``changed_at`` moves; ``serve`` also honours it
    when it starts, so a stopped collector stays stopped across restarts.
    """

    desired_running = models.BooleanField(
        default=True, help_text="whether the collector should be running"
    )
    changed_at = models.DateTimeField(default=timezone.now, help_text="when it was last set, UTC")
    changed_by = models.CharField(
        max_length=150, blank=True, default="", help_text="who set it (user name or 'cli')"
    )

    class Meta:
        verbose_name = "collector control"

    def __str__(self) -> str:
        return "run" if self.desired_running else "stop"


class CollectorStatus(models.Model):
    """What one running mikromon process last published about its collector.

    Each process writes its own row about once a second and deletes it when it
    stops cleanly; a row whose ``published_at`` is older than a few seconds
    belongs to a process that died.
    """

    instance = models.CharField(
        max_length=200, unique=True, help_text="host:pid:start time of the publishing process"
    )
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(help_text="when the process started, UTC")
    published_at = models.DateTimeField(db_index=True, help_text="last publication, UTC")
    running = models.BooleanField(help_text="whether this process's collector is running")
    status = models.JSONField(default=dict, help_text="the collector's status() document")

    class Meta:
        verbose_name = "collector status"
        verbose_name_plural = "collector statuses"
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"{self.instance} ({'running' if self.running else 'stopped'})"


class CollectorDeviceStatus(models.Model):
    """One device's entry of a published collector status (``status["devices"][i]``
    of ``CollectorService.status()``), a row each, so that pages filter, count and
    page them in SQL instead of reading the whole document (megabytes at 10,000
    devices). Written by :func:`mikromon.web.control.device_status.write_rows`
    (only the entries that changed since the process's previous publication);
    deleted with their :class:`CollectorStatus`.
    """

    status = models.ForeignKey(
        CollectorStatus, on_delete=models.CASCADE, related_name="device_rows",
        help_text="the publication this entry belongs to",
    )
    device_id = models.IntegerField(help_text="the device's id (the entry's ``id``)")
    position = models.IntegerField(help_text="place in the document (devices by name)")
    has_errors = models.BooleanField(
        help_text="the device or a tier reports an error (device_status.has_errors)"
    )
    late_at = models.DateTimeField(
        null=True, blank=True,
        help_text="when a tier becomes late, UTC (device_status.late_at); null: never",
    )
    doc = models.TextField(help_text="the entry, JSON text as published (tidy)")

    class Meta:
        verbose_name = "collector device status"
        verbose_name_plural = "collector device statuses"
        constraints = [
            models.UniqueConstraint(fields=["status", "device_id"],
                                    name="control_devicestatus_unique_device"),
        ]
        indexes = [models.Index(fields=["status", "position"],
                                name="control_devicestatus_position")]

    def __str__(self) -> str:
        return f"device {self.device_id} of {self.status_id}"


class DemoObject(models.Model):
    """A device or web user that ``mikromon demo`` created in this database.

    The demo works only on a database whose every device and every user is
    listed here (an empty database qualifies): it refuses a database holding
    anything it did not create, so it never changes real devices or resets a
    real user's password. A row goes away with its device or user (cascade);
    renaming or editing a demo device keeps it a demo device.
    """

    device = models.OneToOneField(
        "monitor.Device",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="demo_mark",
        help_text="the demo device, or empty for a user",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="demo_mark",
        help_text="the demo's web user, or empty for a device",
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="when the demo made it, UTC")

    class Meta:
        verbose_name = "demo object"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(device__isnull=False, user__isnull=True)
                    | models.Q(device__isnull=True, user__isnull=False)
                ),
                name="control_demoobject_device_xor_user",
            ),
        ]

    def __str__(self) -> str:
        return f"demo device {self.device_id}" if self.device_id else f"demo user {self.user_id}"


class UserProfile(models.Model):
    """A web user's own settings: the time zone every page shows times in.

    Times stay stored in UTC; :class:`mikromon.web.ui.timezones.UserTimeZoneMiddleware`
    activates ``time_zone`` for the user's page requests (the API keeps UTC). A user
    without a row sees UTC. ``time_zone`` is an IANA name from
    :func:`zoneinfo.available_timezones` (checked by the profile form).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile",
        help_text="whose settings these are",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA time zone name pages show times in"
    )

    class Meta:
        verbose_name = "user profile"

    def __str__(self) -> str:
        return f"profile of user {self.user_id} ({self.time_zone})"


class OutputDestination(models.Model):
    """A store the collector pushes its samples to (:mod:`mikromon.outputs`).

    The token and the password are stored encrypted
    (:mod:`mikromon.web.monitor.crypto`) and never shown back. An output the
    environment configures (``MIKROMON_REMOTE_WRITE_URL``...) wins over a row of
    the same name (:mod:`mikromon.web.control.outputs`).
    """

    FORMATS = (("remote-write", "Prometheus remote write 1.0"),
               ("influx", "InfluxDB line protocol"))

    name = models.CharField(max_length=64, unique=True,
                            help_text="short name: letters, digits, - and _ (its queue folder)")
    format = models.CharField(max_length=16, choices=FORMATS, default="remote-write")
    url = models.CharField(max_length=2000, help_text="the store's write URL, http(s)")
    username = models.CharField(max_length=200, blank=True, default="",
                                help_text="basic auth user (with a password)")
    password_encrypted = models.TextField(blank=True, default="")
    token_encrypted = models.TextField(blank=True, default="",
                                       help_text="bearer (remote write) or InfluxDB 2.x token")
    max_disk_mb = models.PositiveIntegerField(default=2048,
                                              help_text="most megabytes queued on disk")
    enabled = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "output"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CollectorMember(models.Model):
    """One collector process sharing the fleet with others
    (:mod:`mikromon.web.control.members`): it writes its heartbeat here every
    quarter of its ``ttl``; a row whose ``expires_at`` passed (or whose process is
    gone, on the reader's machine) is a dead member, deleted by the others, which
    then take its devices over.
    """

    member_id = models.CharField(max_length=64, unique=True, help_text="random id of the member")
    host = models.CharField(max_length=255, help_text="host name the member runs on")
    pid = models.PositiveIntegerField(help_text="its process id on that host")
    process = models.CharField(max_length=160, blank=True, default="",
                               help_text="process identity (boot id, pid namespace, pid, start)")
    started_at = models.DateTimeField(help_text="when it joined, UTC")
    heartbeat = models.DateTimeField(help_text="its last heartbeat, UTC (database clock)")
    expires_at = models.DateTimeField(db_index=True,
                                      help_text="when it counts as dead without a heartbeat, UTC")
    devices = models.PositiveIntegerField(default=0, help_text="devices it polls")
    cpu_pct = models.FloatField(default=0.0,
                                help_text="CPU its process used since the previous heartbeat, "
                                "% of one core")

    class Meta:
        verbose_name = "collector member"
        ordering = ["started_at", "member_id"]

    def __str__(self) -> str:
        return f"{self.host} pid {self.pid}"


class DeviceOwner(models.Model):
    """Which collector member polls a device: ``owner`` is its ``member_id`` (empty:
    nobody), valid until ``expires_at`` unless renewed. A member claims a row only
    when it is free, expired, or held by a dead member, in one conditional
    ``UPDATE``, so two members never hold one device at once.
    """

    device = models.OneToOneField(
        "monitor.Device", primary_key=True, on_delete=models.CASCADE,
        related_name="collector_owner", help_text="the device",
    )
    owner = models.CharField(max_length=64, blank=True, default="", db_index=True,
                             help_text="member_id of the member polling it ('' nobody)")
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="when the claim lapses unless renewed, UTC")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="when it was claimed, UTC")

    class Meta:
        verbose_name = "device owner"

    def __str__(self) -> str:
        return f"device {self.device_id}: {self.owner or 'nobody'}"


class RetentionSetting(models.Model):
    """A retention operators set in the web UI or with ``mikromon retention set``:
    how long the raw points of one tier, or one rollup level, are kept
    (:mod:`mikromon.domain.retention` names the keys and their minimums).

    A key without a row keeps the environment's default
    (``MIKROMON_RETENTION_RAW_DAYS`` for every tier, ``..._5M_DAYS``,
    ``..._1H_DAYS``); :func:`mikromon.web.control.retention.effective` merges them.
    """

    key = models.CharField(max_length=16, unique=True,
                           help_text="realtime, short, medium, long, extended, 5m or 1h")
    seconds = models.BigIntegerField(help_text="how long the data is kept, seconds")
    changed_at = models.DateTimeField(default=timezone.now, help_text="when it was set, UTC")
    changed_by = models.CharField(max_length=150, blank=True, default="",
                                  help_text="who set it (user name or 'cli')")

    class Meta:
        verbose_name = "retention setting"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}={self.seconds}s"
