// RoutingSystem.js: the routing context of an interaction, in `system`.
//
// In the style of the routing library Composer includes into every main
// document: the interaction.added handler of the IPD calls
// initializeRoutingSystemVariables(), which fills _data.system.context (the
// object the diagrams share as their global `system`) from the start event and
// the platform's interaction object, then logs the whole datamodel as JSON.

function initializeRoutingSystemVariables() {
	var context = _data.system.context;
	context.Type = 'undefined';
	context.TenantID = _genesys.session.tenantid;
	context.TenantName = _genesys.session.tenant;
	context.InteractionID = system.StartEvent.data.interactionid;
	context.InitialInteractionID = context.InteractionID;
	context.ThisDN = system.StartEvent.data.focusdeviceid;
	context.Language = 'en-US';
	context.TerminateIxnOnExit = 1;
	context.currentBlock = undefined;
	resetEvents();

	var ixn = _genesys.ixn.interactions[context.InteractionID];
	if (typeof ixn != 'undefined' && ixn != null) {
		context.InteractionUID = ixn.g_uid;
		context.InteractionMediaType = ixn.media;
		context.ParentInteractionID = ixn.parentid;
		if (typeof ixn.voice != 'undefined' && ixn.voice != null) {
			context.Type = ixn.voice.type;
			context.CallID = ixn.voice.callid;
			context.DNIS = ixn.voice.dnis;
			context.ANI = ixn.voice.ani;
			context.InteractionType = 'Inbound';
		} else {
			context.Type = ixn.category;
			context.InteractionType = 'Multimedia';
		}
	}
	__Log('IPD variables initialization: ' + JSON.stringify(_data), 'init', 'info');
}

// The consult leg of a transfer is processed as its parent call.
function setSystemVarsForEffectiveIxnId(system) {
	if (typeof system.InteractionID == 'undefined') {
		return;
	}
	var ixn = _genesys.ixn.interactions[system.InteractionID];
	if (ixn != null && typeof ixn.voice != 'undefined' && ixn.voice != null
			&& ixn.voice.type == 'consult' && typeof ixn.parentid != 'undefined') {
		system.ParentInteractionID = ixn.parentid;
	}
	system.SubmittedBy = _genesys.session.tenant + ':' + system.ThisDN;
}

// The requestid and the result of a Target block, by its block name (the
// stock QueueCancel subroutine reads App_<block>.requestid the same way).
function targetRequest(blockName) {
	return eval('App_' + blockName + '.requestid');
}
