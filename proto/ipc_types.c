/* SPDX-License-Identifier: ISC */
#include "ipc_types.h"

const char *
ipc_type_name(uint32_t type)
{
	switch (type) {
	case IPC_KEYD_CONFIG:		return "KEYD_CONFIG";
	case IPC_KEYD_IDENTITY:	return "KEYD_IDENTITY";
	case IPC_KEYD_SET_TWIN:	return "KEYD_SET_TWIN";
	case IPC_KEYD_OPEN:		return "KEYD_OPEN";
	case IPC_KEYD_JWT:		return "KEYD_JWT";
	case IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL:
		return "KEYD_SIGN_UPDATE_TWIN_MORTAL";
	case IPC_KEYD_SEAL_SIGN:	return "KEYD_SEAL_SIGN";
	case IPC_KEYD_ERROR:		return "KEYD_ERROR";
	case IPC_NETD_CONFIG:		return "NETD_CONFIG";
	case IPC_APID_CONFIG:		return "APID_CONFIG";
	case IPC_NETD_CREDIT:		return "NETD_CREDIT";
	case IPC_NETD_OUT_REQUEST:	return "NETD_OUT_REQUEST";
	case IPC_NETD_OUT_RESPONSE:	return "NETD_OUT_RESPONSE";
	case IPC_APID_IN_REQUEST:	return "APID_IN_REQUEST";
	case IPC_APID_IN_RESPONSE:	return "APID_IN_RESPONSE";
	case IPC_APID_SEND_FAILED:	return "APID_SEND_FAILED";
	case IPC_APID_SENT:		return "APID_SENT";
	case IPC_PEER_READY:		return "PEER_READY";
	default:			return "unknown";
	}
}
