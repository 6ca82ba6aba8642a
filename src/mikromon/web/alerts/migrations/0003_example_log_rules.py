"""Create the example ``log`` rules (mikromon.alerting.defaults.EXAMPLE_LOG_RULES),
switched off: failed logins and a link down in the router's log."""

from django.db import migrations


def create_examples(apps, schema_editor):
    from mikromon.alerting.defaults import EXAMPLE_LOG_RULES

    AlertRule = apps.get_model("alerts", "AlertRule")
    db = schema_editor.connection.alias
    for rule in EXAMPLE_LOG_RULES:
        AlertRule.objects.using(db).get_or_create(
            name=rule["name"],
            defaults={"kind": rule["kind"], "severity": rule["severity"],
                      "enabled": rule["enabled"], "params": dict(rule["params"])},
        )


def remove_examples(apps, schema_editor):
    from mikromon.alerting.defaults import EXAMPLE_LOG_RULES

    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.using(schema_editor.connection.alias).filter(
        name__in=[r["name"] for r in EXAMPLE_LOG_RULES], kind="log", enabled=False).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0002_default_rules"),
    ]

    operations = [
        migrations.RunPython(create_examples, remove_examples),
    ]
