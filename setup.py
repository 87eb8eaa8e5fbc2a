"""Install the chatbot library and its commands.

Every command is a console script: the long-running services (chatbot-web,
chatbot-worker), the timer jobs and the operator's `chatbot` tool.
"""
from setuptools import find_namespace_packages, setup

COMMANDS = {
    "chatbot": "chatbot.commands.main:cli",
    "chatbot-web": "chatbot.commands.web:main",
    "chatbot-worker": "chatbot.commands.worker:main",
    "chatbot-collect-metrics": "chatbot.commands.jobs:collect_metrics",
    "chatbot-check-alerts": "chatbot.commands.jobs:check_alerts",
    "chatbot-backup": "chatbot.commands.jobs:backup",
    "chatbot-restore": "chatbot.commands.jobs:restore",
    "chatbot-cleanup": "chatbot.commands.jobs:cleanup",
    "chatbot-healthcheck": "chatbot.commands.jobs:healthcheck",
    "chatbot-job-failed": "chatbot.commands.jobs:job_failed",
    "chatbot-sync-catalog": "chatbot.commands.jobs:sync_catalog",
}

setup(
    name="atacarejo-chatbot",
    version="0.1.0",
    description="WhatsApp customer-service bot for a Brazilian cash-and-carry store, with a local LLM",
    package_dir={"": "lib"},
    packages=find_namespace_packages("lib", include=["chatbot", "chatbot.*"]),
    # units/ links to ../../systemd: the timer files ship in the package (ops/schedule.py reads them).
    package_data={"chatbot": ["migrations/*.sql", "web/static/*", "web/templates/*", "data/*", "units/*.timer"]},
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=[
        "flask>=3.0",
        # Pinned: web/serve.py's graceful stop walks waitress's channel map
        # (server._map), which is not public API; check it before moving on.
        "waitress==3.0.2",
        "requests>=2.31",
        "click>=8.1",
        "psutil>=5.9",
        "llama-cpp-python==0.3.36",
        # A Portuguese word list for the LLM reply check (catches made-up words); pure Python.
        "pyspellchecker>=0.8",
        # /metrics in Prometheus' own text format, escaping and number formats included.
        "prometheus_client>=0.20",
        # The Snowball Portuguese stemmer, for finding FAQ entries and store facts by meaning; pure Python.
        "snowballstemmer>=2.2",
        # Catalog uploads as .xlsx (what store managers save from Excel); pure Python.
        "openpyxl>=3.1",
        # Web Push to staff's phones: VAPID signing (ES256) and aes128gcm payload encryption (RFC 8291/8292).
        "pywebpush>=2.0",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "aiosmtpd>=1.4",
            "hypothesis>=6.100",
            "playwright>=1.40",
            # ./test.sh --quick runs the quick tier on both cores (-n 2).
            "pytest-xdist>=3.5",
            # The linter ./test.sh runs before the tests (ruff.toml).
            "ruff>=0.6",
        ],
    },
    entry_points={"console_scripts": [f"{name}={target}" for name, target in COMMANDS.items()]},
)
