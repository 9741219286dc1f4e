// common.js: helpers every Composer diagram of this project includes.
//
// Written for scxmlc's tests in the style of the libraries Genesys Composer
// copies into a project's include/ folder: plain ES5 functions over the global
// `system` object that the main document declares, ORS's own built-ins
// (__Log, __GetDocumentURL), and names that only other kinds of application
// define (GVP voice applications have `AppState`).

// -- where the application was loaded from ------------------------------------

function getBaseURL() {
	var url = __GetDocumentURL();
	var slash = url.lastIndexOf("/", url.length);
	return url.substring(0, slash + 1);
}

function getRelativePathURL() {
	var base = getBaseURL();
	var scheme = base.indexOf("//");
	var rest = base.substring(scheme + 2);
	var host = rest.indexOf("/");
	return base.substring(0, scheme + 2) + rest.substring(0, host + 1);
}

// -- events and exceptions of the diagram's blocks -----------------------------

function resetEvents() {
	system.events = new Object();
	system.errors = new Object();
}

function storeEvent(blockName, event) {
	if (typeof system.events == 'undefined') {
		resetEvents();
	}
	system.events[blockName] = event;
	system.LastEvent = event;
}

function storeException(blockName, event) {
	if (typeof system.errors == 'undefined') {
		resetEvents();
	}
	system.errors[blockName] = event;
	system.LastErrorEvent = event;
	system.LastErrorEventName = event.name;
	system.LastErrorDescription = (typeof event.data != 'undefined' && event.data.description) ?
		event.data.description : 'undefined';
	__Log(blockName + ': ' + event.name + ' (' + system.LastErrorDescription + ')', 'exception', 'warning');
}

function getLastEventData(field) {
	return (typeof system.LastEvent == 'undefined') ? undefined : system.LastEvent.data[field];
}

function storeUnhandledEvent() {
	system.uncaughtApplicationEvents.push(_event);
}

function isEventHandledByApplication() {
	var pending = system.uncaughtApplicationEvents;
	for (var i = 0; i < pending.length; i++) {
		if (pending[i].name == _event.name) {
			return false;
		}
	}
	return true;
}

// -- helpers of other kinds of application --------------------------------------

// Only a GVP voice application defines AppState; a routing application never
// calls this function, so its free name is never looked up.
function getIVRRecordingStatus() {
	return AppState.recording == true ? 'on' : 'off';
}

function toNumber(value) {
	var number = parseFloat(value);
	if (isNaN(number)) {
		// never reached by the routing diagrams (they pass numbers)
		return defualtNumber;
	}
	return number;
}
