"""A small container-platform web console that mounts ``mirror_plugin`` the way a host team would.

It exists so people can see the plugin inside a real-looking console, and so the plugin's
integration (adapter, base template, menu entries, deploy hook, migrations) is exercised end to
end by a host that is not the plugin's own test harness. Start it with ``python -m demo``.
"""
