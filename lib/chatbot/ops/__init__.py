"""Operations: the timer jobs' units of work (metrics, alerts, notices,
backups, cleanup, health) and their bookkeeping. Commands in
``chatbot.commands.jobs`` are thin faces over these modules."""
