#ifndef RMB_TOOL_H
#define RMB_TOOL_H

/* Each subcommand: argv[0] is the subcommand name.  Returns exit status. */
int	cmd_identity(int argc, char *argv[]);
int	cmd_mnemonic(int argc, char *argv[]);

#endif
