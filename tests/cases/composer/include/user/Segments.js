// Segments.js: the project's own code (Composer copies include/user/*.js too).

// The customer segment a CRM answer names; 'standard' when it names none.
function segmentOf(customer) {
	if (typeof customer == 'undefined' || customer == null || !customer.segment) {
		return 'standard';
	}
	return String(customer.segment).toLowerCase();
}

// A routing plan item of the RoutingPlan list, with its defaults filled in.
function routingPlan(segment) {
	var item = _genesys.session.getListItemValue('RoutingPlan', segment, '');
	var plan = {group: 'Sales', overflow: '8000', timeout: 20};
	for (var key in item) {
		plan[key] = item[key];
	}
	plan.timeout = toNumber(plan.timeout);
	return plan;
}
