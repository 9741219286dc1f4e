// Helper library in the style of Composer's include/common.js.
var __logs = [];
function __Log(message) {
    __logs.push(message);
    return message;
}
function storeEvent(evt) {
    return { name: evt.name, data: evt.data };
}
function isConsult(voice) {
    return voice != null && voice.type == 'consult';
}
