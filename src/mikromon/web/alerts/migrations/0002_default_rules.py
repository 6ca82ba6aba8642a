"""Create the default alert rules (mikromon.alerting.defaults), on for every device."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from mikromon.alerting.defaults import default_rules

    AlertRule = apps.get_model("alerts", "AlertRule")
    db = schema_editor.connection.alias
    for rule in default_rules():
        AlertRule.objects.using(db).get_or_create(
            name=rule["name"],
            defaults={
                "kind": rule["kind"],
                "severity": rule["severity"],
                "metric": rule.get("metric", ""),
                "comparison": rule.get("comparison", ">"),
                "threshold": rule.get("threshold"),
                "recovery": rule.get("recovery"),
                "for_seconds": rule.get("for_seconds", 0),
                "params": rule.get("params", {}),
                "is_default": True,
            },
        )


def remove_defaults(apps, schema_editor):
    AlertRule = apps.get_model("alerts", "AlertRule")
    AlertRule.objects.using(schema_editor.connection.alias).filter(is_default=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
    ]
