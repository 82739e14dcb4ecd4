/*
 * What a file is, by its first bytes: a dump (ELF core, kdump-compressed,
 * makedumpfile's flattened stream), an ELF executable (a vmlinux, a
 * module), or something else. For telling positionals apart (the CLI) and
 * finding dumps in directories (batch); opening is vt_target_open's.
 */
#ifndef VT_SNIFF_H
#define VT_SNIFF_H

enum vt_file_kind {
	VT_FILE_OTHER,			/* unreadable, or none of these */
	VT_FILE_ELF_CORE,
	VT_FILE_KDUMP,
	VT_FILE_FLATTENED,
	VT_FILE_ELF_EXEC,		/* ET_EXEC or ET_DYN */
};

enum vt_file_kind vt_target_sniff(const char *path);

#endif
