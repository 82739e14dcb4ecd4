# Sourced by /init (guest-init.sh) in the capture kernel's initramfs
# (lib/run_kdump.py): when /proc/vmcore exists this is the kdump capture
# kernel, and its job is kdump-tools': save the crashed kernel's memory.
# Here, a byte copy of /proc/vmcore (ELF) to the virtio disk at offset 0,
# then its size and dd's status on the console, then power off.
if [ -e /proc/vmcore ]; then
	echo "@@VT-CAPTURE-START $(uname -r)" > /dev/console
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	size=$(stat -c %s /proc/vmcore)
	dd if=/proc/vmcore of=/dev/vda bs=1M 2> /tmp/dd.err
	rc=$?
	sync
	cat /tmp/dd.err > /dev/console
	echo "@@VT-CAPTURED rc=$rc size=$size" > /dev/console
	poweroff -f
fi
