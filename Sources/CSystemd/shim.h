// libsystemd through pkg-config: sd_notify for Type=notify, sd_journal_sendv for native journal
// entries. The variadic sd_journal_send / sd_notifyf do not import into Swift (STACK.md).
#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
