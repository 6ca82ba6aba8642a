"""Value types shared by every stage: tiers, device configuration, samples,
inventory snapshots, events and the error hierarchy. No IO, no asyncio, no Django."""
