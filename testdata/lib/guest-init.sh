#!/bin/sh
# /init of the test guests' busybox initramfs (arch-neutral; built by
# testdata/lib/mkinitramfs.py).  Loads the modules listed in /modules.load
# (already in dependency order), then serves the line-command protocol of
# testdata/lib/qemu.py on the command tty:
#   kernel parameter vtcmd=TTY   (default ttyS1; e.g. hvc1 on pseries)
# Host sends "ID:COMMAND", guest evals COMMAND and answers "@@VT-DONE ID RC".
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /run
# 1, not 0: root (CAP_SYSLOG) then sees real addresses everywhere, while 0
# makes %pK users such as /proc/vmallocinfo print hashed pointers.
echo 1 > /proc/sys/kernel/kptr_restrict
echo 8 > /proc/sys/kernel/printk

while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/$m" || echo "vt-init: insmod $m failed" > /dev/console
done < /modules.load

tty=ttyS1
for a in $(cat /proc/cmdline); do
	case $a in vtcmd=*) tty=${a#vtcmd=};; esac
done
i=0
while [ ! -c "/dev/$tty" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# No echo, no \n -> \r\n translation: the host reads exactly what we print.
stty -F "/dev/$tty" -echo -onlcr -icrnl 2>/dev/null || true
[ -f /vt/helpers.sh ] && . /vt/helpers.sh
exec < "/dev/$tty" > "/dev/$tty" 2>&1
# Again on the open fd: drivers with TTY_DRIVER_RESET_TERMIOS (hvc on pseries)
# reset termios when the stty -F above closes the tty.
stty -echo -onlcr -icrnl 2>/dev/null || true
echo "@@VT-READY"
while IFS= read -r line; do
	id=${line%%:*}
	cmd=${line#*:}
	eval "$cmd" < /dev/null
	echo "@@VT-DONE $id $?"
done
# The host never closes the tty; if it does, keep PID 1 alive.
while :; do sleep 1000; done
