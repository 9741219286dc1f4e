// routing.js: the JavaScript library of this project, included by the main
// document (<script><xi:include href="../include/routing.js" parse="text"/>).
//
// Plain ES5 functions over the global `system` object the main document
// declares, as the libraries Composer copies into a project's include/ folder.

// Fill the shared context (_data.system.context, the workflows' `system`)
// from the start event and the platform's interaction object.
function initializeRoutingSystemVariables() {
	var context = _data.system.context;
	context.InteractionID = system.StartEvent.data.interactionid;
	context.ThisDN = system.StartEvent.data.focusdeviceid;
	context.TenantName = _genesys.session.tenant;
	var ixn = _genesys.ixn.interactions[context.InteractionID];
	if (typeof ixn != 'undefined' && ixn != null && ixn.voice != null) {
		context.ANI = ixn.voice.ani;
		context.DNIS = ixn.voice.dnis;
	}
	__Log('call ' + context.InteractionID + ' from ' + context.ANI + ' at ' + context.ThisDN, 'init', 'info');
}
