/* SPDX-License-Identifier: ISC */
#include "imsgtypes.h"

const char *
imsg_type_name(uint32_t type)
{
	switch (type) {
	case IMSG_KEYD_CONFIG:		return "KEYD_CONFIG";
	case IMSG_KEYD_IDENTITY:	return "KEYD_IDENTITY";
	case IMSG_KEYD_SET_TWIN:	return "KEYD_SET_TWIN";
	case IMSG_KEYD_SIGN_ENVELOPE:	return "KEYD_SIGN_ENVELOPE";
	case IMSG_KEYD_SEAL:		return "KEYD_SEAL";
	case IMSG_KEYD_OPEN:		return "KEYD_OPEN";
	case IMSG_KEYD_JWT:		return "KEYD_JWT";
	case IMSG_KEYD_SIGN_UPDATE_TWIN_MORTAL:
		return "KEYD_SIGN_UPDATE_TWIN_MORTAL";
	case IMSG_KEYD_ERROR:		return "KEYD_ERROR";
	case IMSG_NETD_CONFIG:		return "NETD_CONFIG";
	case IMSG_APID_CONFIG:		return "APID_CONFIG";
	case IMSG_NETD_CREDIT:		return "NETD_CREDIT";
	case IMSG_NETD_OUT_REQUEST:	return "NETD_OUT_REQUEST";
	case IMSG_NETD_OUT_RESPONSE:	return "NETD_OUT_RESPONSE";
	case IMSG_APID_IN_REQUEST:	return "APID_IN_REQUEST";
	case IMSG_APID_IN_RESPONSE:	return "APID_IN_RESPONSE";
	case IMSG_APID_SEND_FAILED:	return "APID_SEND_FAILED";
	case IMSG_APID_SENT:		return "APID_SENT";
	case IMSG_PEER_READY:		return "PEER_READY";
	default:			return "unknown";
	}
}
