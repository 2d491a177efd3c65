/* SPDX-License-Identifier: ISC */
#ifndef RMB_TOOL_H
#define RMB_TOOL_H

/* Each subcommand: argv[0] is the subcommand name.  Returns exit status. */
int	cmd_identity(int argc, char *argv[]);
int	cmd_mnemonic(int argc, char *argv[]);
int	cmd_call(int argc, char *argv[]);
int	cmd_serve(int argc, char *argv[]);
int	cmd_twin(int argc, char *argv[]);

struct redisContext;
/*
 * A synchronous redis connection for rmb call and rmb serve, logged in
 * as the URL says (AUTH, SELECT); NULL with a message on stderr.
 */
struct redisContext *rmb_redis_connect(const char *prog, const char *url);

#endif
