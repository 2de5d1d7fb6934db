/*! Dalil web chat widget, AGPL-3.0-or-later. Built by bot/web/widget/build.py from
 * bot/web/widget/widget.{js,css}; bundles the Socket.IO client (MIT), see
 * bot/web/static/vendor/VENDOR.md. */
(function(){var module={exports:{}},exports=module.exports,define;
/*!
 * Socket.IO v4.8.4
 * (c) 2014-2026 Guillermo Rauch
 * Released under the MIT License.
 */
!function(t,n){"object"==typeof exports&&"undefined"!=typeof module?module.exports=n():"function"==typeof define&&define.amd?define(n):(t="undefined"!=typeof globalThis?globalThis:t||self).io=n()}(this,(function(){"use strict";function t(t,n){(null==n||n>t.length)&&(n=t.length);for(var i=0,r=Array(n);i<n;i++)r[i]=t[i];return r}function n(t,n){for(var i=0;i<n.length;i++){var r=n[i];r.enumerable=r.enumerable||!1,r.configurable=!0,"value"in r&&(r.writable=!0),Object.defineProperty(t,c(r.key),r)}}function i(t,i,r){return i&&n(t.prototype,i),r&&n(t,r),Object.defineProperty(t,"prototype",{writable:!1}),t}function r(t,n){var i="undefined"!=typeof Symbol&&t[Symbol.iterator]||t["@@iterator"];if(!i){if(Array.isArray(t)||(i=v(t))||n&&t&&"number"==typeof t.length){i&&(t=i);var r=0,e=function(){};return{s:e,n:function(){return r>=t.length?{done:!0}:{done:!1,value:t[r++]}},e:function(t){throw t},f:e}}throw new TypeError("Invalid attempt to iterate non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.")}var o,s=!0,u=!1;return{s:function(){i=i.call(t)},n:function(){var t=i.next();return s=t.done,t},e:function(t){u=!0,o=t},f:function(){try{s||null==i.return||i.return()}finally{if(u)throw o}}}}function e(){return e=Object.assign?Object.assign.bind():function(t){for(var n=1;n<arguments.length;n++){var i=arguments[n];for(var r in i)({}).hasOwnProperty.call(i,r)&&(t[r]=i[r])}return t},e.apply(null,arguments)}function o(t){return o=Object.setPrototypeOf?Object.getPrototypeOf.bind():function(t){return t.__proto__||Object.getPrototypeOf(t)},o(t)}function s(t,n){t.prototype=Object.create(n.prototype),t.prototype.constructor=t,h(t,n)}function u(){try{var t=!Boolean.prototype.valueOf.call(Reflect.construct(Boolean,[],(function(){})))}catch(t){}return(u=function(){return!!t})()}function h(t,n){return h=Object.setPrototypeOf?Object.setPrototypeOf.bind():function(t,n){return t.__proto__=n,t},h(t,n)}function f(n){return function(n){if(Array.isArray(n))return t(n)}(n)||function(t){if("undefined"!=typeof Symbol&&null!=t[Symbol.iterator]||null!=t["@@iterator"])return Array.from(t)}(n)||v(n)||function(){throw new TypeError("Invalid attempt to spread non-iterable instance.\nIn order to be iterable, non-array objects must have a [Symbol.iterator]() method.")}()}function c(t){var n=function(t,n){if("object"!=typeof t||!t)return t;var i=t[Symbol.toPrimitive];if(void 0!==i){var r=i.call(t,n||"default");if("object"!=typeof r)return r;throw new TypeError("@@toPrimitive must return a primitive value.")}return("string"===n?String:Number)(t)}(t,"string");return"symbol"==typeof n?n:n+""}function a(t){return a="function"==typeof Symbol&&"symbol"==typeof Symbol.iterator?function(t){return typeof t}:function(t){return t&&"function"==typeof Symbol&&t.constructor===Symbol&&t!==Symbol.prototype?"symbol":typeof t},a(t)}function v(n,i){if(n){if("string"==typeof n)return t(n,i);var r={}.toString.call(n).slice(8,-1);return"Object"===r&&n.constructor&&(r=n.constructor.name),"Map"===r||"Set"===r?Array.from(n):"Arguments"===r||/^(?:Ui|I)nt(?:8|16|32)(?:Clamped)?Array$/.test(r)?t(n,i):void 0}}function l(t){var n="function"==typeof Map?new Map:void 0;return l=function(t){if(null===t||!function(t){try{return-1!==Function.toString.call(t).indexOf("[native code]")}catch(n){return"function"==typeof t}}(t))return t;if("function"!=typeof t)throw new TypeError("Super expression must either be null or a function");if(void 0!==n){if(n.has(t))return n.get(t);n.set(t,i)}function i(){return function(t,n,i){if(u())return Reflect.construct.apply(null,arguments);var r=[null];r.push.apply(r,n);var e=new(t.bind.apply(t,r));return i&&h(e,i.prototype),e}(t,arguments,o(this).constructor)}return i.prototype=Object.create(t.prototype,{constructor:{value:i,enumerable:!1,writable:!0,configurable:!0}}),h(i,t)},l(t)}var p=Object.create(null);p.open="0",p.close="1",p.ping="2",p.pong="3",p.message="4",p.upgrade="5",p.noop="6";var d=Object.create(null);Object.keys(p).forEach((function(t){d[p[t]]=t}));var y,b={type:"error",data:"parser error"},w="function"==typeof Blob||"undefined"!=typeof Blob&&"[object BlobConstructor]"===Object.prototype.toString.call(Blob),g="function"==typeof ArrayBuffer,m=function(t){return"function"==typeof ArrayBuffer.isView?ArrayBuffer.isView(t):t&&t.buffer instanceof ArrayBuffer},k=function(t,n,i){var r=t.type,e=t.data;return w&&e instanceof Blob?n?i(e):A(e,i):g&&(e instanceof ArrayBuffer||m(e))?n?i(e):A(new Blob([e]),i):i(p[r]+(e||""))},A=function(t,n){var i=new FileReader;return i.onload=function(){var t=i.result.split(",")[1];n("b"+(t||""))},i.readAsDataURL(t)};function E(t){return t instanceof Uint8Array?t:t instanceof ArrayBuffer?new Uint8Array(t):new Uint8Array(t.buffer,t.byteOffset,t.byteLength)}for(var j="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",O="undefined"==typeof Uint8Array?[]:new Uint8Array(256),B=0;B<64;B++)O[j.charCodeAt(B)]=B;var S,N="function"==typeof ArrayBuffer,T=function(t,n){if("string"!=typeof t)return{type:"message",data:U(t,n)};var i=t.charAt(0);return"b"===i?{type:"message",data:C(t.substring(1),n)}:d[i]?t.length>1?{type:d[i],data:t.substring(1)}:{type:d[i]}:b},C=function(t,n){if(N){var i=function(t){var n,i,r,e,o,s=.75*t.length,u=t.length,h=0;"="===t[t.length-1]&&(s--,"="===t[t.length-2]&&s--);var f=new ArrayBuffer(s),c=new Uint8Array(f);for(n=0;n<u;n+=4)i=O[t.charCodeAt(n)],r=O[t.charCodeAt(n+1)],e=O[t.charCodeAt(n+2)],o=O[t.charCodeAt(n+3)],c[h++]=i<<2|r>>4,c[h++]=(15&r)<<4|e>>2,c[h++]=(3&e)<<6|63&o;return f}(t);return U(i,n)}return{base64:!0,data:t}},U=function(t,n){return"blob"===n?t instanceof Blob?t:new Blob([t]):t instanceof ArrayBuffer?t:t.buffer},M=String.fromCharCode(30);function I(){return new TransformStream({transform:function(t,n){!function(t,n){w&&t.data instanceof Blob?t.data.arrayBuffer().then(E).then(n):g&&(t.data instanceof ArrayBuffer||m(t.data))?n(E(t.data)):k(t,!1,(function(t){y||(y=new TextEncoder),n(y.encode(t))}))}(t,(function(i){var r,e=i.length;if(e<126)r=new Uint8Array(1),new DataView(r.buffer).setUint8(0,e);else if(e<65536){r=new Uint8Array(3);var o=new DataView(r.buffer);o.setUint8(0,126),o.setUint16(1,e)}else{r=new Uint8Array(9);var s=new DataView(r.buffer);s.setUint8(0,127),s.setBigUint64(1,BigInt(e))}t.data&&"string"!=typeof t.data&&(r[0]|=128),n.enqueue(r),n.enqueue(i)}))}})}function x(t){return t.reduce((function(t,n){return t+n.length}),0)}function R(t,n){if(t[0].length===n)return t.shift();for(var i=new Uint8Array(n),r=0,e=0;e<n;e++)i[e]=t[0][r++],r===t[0].length&&(t.shift(),r=0);return t.length&&r<t[0].length&&(t[0]=t[0].slice(r)),i}function L(t){if(t)return function(t){for(var n in L.prototype)t[n]=L.prototype[n];return t}(t)}L.prototype.on=L.prototype.addEventListener=function(t,n){return this.t=this.t||{},(this.t["$"+t]=this.t["$"+t]||[]).push(n),this},L.prototype.once=function(t,n){function i(){this.off(t,i),n.apply(this,arguments)}return i.fn=n,this.on(t,i),this},L.prototype.off=L.prototype.removeListener=L.prototype.removeAllListeners=L.prototype.removeEventListener=function(t,n){if(this.t=this.t||{},0==arguments.length)return this.t={},this;var i,r=this.t["$"+t];if(!r)return this;if(1==arguments.length)return delete this.t["$"+t],this;for(var e=0;e<r.length;e++)if((i=r[e])===n||i.fn===n){r.splice(e,1);break}return 0===r.length&&delete this.t["$"+t],this},L.prototype.emit=function(t){this.t=this.t||{};for(var n=new Array(arguments.length-1),i=this.t["$"+t],r=1;r<arguments.length;r++)n[r-1]=arguments[r];if(i){r=0;for(var e=(i=i.slice(0)).length;r<e;++r)i[r].apply(this,n)}return this},L.prototype.emitReserved=L.prototype.emit,L.prototype.listeners=function(t){return this.t=this.t||{},this.t["$"+t]||[]},L.prototype.hasListeners=function(t){return!!this.listeners(t).length};var _="function"==typeof Promise&&"function"==typeof Promise.resolve?function(t){return Promise.resolve().then(t)}:function(t,n){return n(t,0)},D="undefined"!=typeof self?self:"undefined"!=typeof window?window:Function("return this")();function P(t){for(var n=arguments.length,i=new Array(n>1?n-1:0),r=1;r<n;r++)i[r-1]=arguments[r];return i.reduce((function(n,i){return t.hasOwnProperty(i)&&(n[i]=t[i]),n}),{})}var $=D.setTimeout,F=D.clearTimeout;function V(t,n){n.useNativeTimers?(t.setTimeoutFn=$.bind(D),t.clearTimeoutFn=F.bind(D)):(t.setTimeoutFn=D.setTimeout.bind(D),t.clearTimeoutFn=D.clearTimeout.bind(D))}function q(){return Date.now().toString(36).substring(3)+Math.random().toString(36).substring(2,5)}var X=function(t){function n(n,i,r){var e;return(e=t.call(this,n)||this).description=i,e.context=r,e.type="TransportError",e}return s(n,t),n}(l(Error)),H=function(t){function n(n){var i;return(i=t.call(this)||this).writable=!1,V(i,n),i.opts=n,i.query=n.query,i.socket=n.socket,i.supportsBinary=!n.forceBase64,i}s(n,t);var i=n.prototype;return i.onError=function(n,i,r){return t.prototype.emitReserved.call(this,"error",new X(n,i,r)),this},i.open=function(){return this.readyState="opening",this.doOpen(),this},i.close=function(){return"opening"!==this.readyState&&"open"!==this.readyState||(this.doClose(),this.onClose()),this},i.send=function(t){"open"===this.readyState&&this.write(t)},i.onOpen=function(){this.readyState="open",this.writable=!0,t.prototype.emitReserved.call(this,"open")},i.onData=function(t){var n=T(t,this.socket.binaryType);this.onPacket(n)},i.onPacket=function(n){t.prototype.emitReserved.call(this,"packet",n)},i.onClose=function(n){this.readyState="closed",t.prototype.emitReserved.call(this,"close",n)},i.pause=function(t){},i.createUri=function(t){var n=arguments.length>1&&void 0!==arguments[1]?arguments[1]:{};return t+"://"+this.i()+this.o()+this.opts.path+this.u(n)},i.i=function(){var t=this.opts.hostname;return-1===t.indexOf(":")?t:"["+t+"]"},i.o=function(){return this.opts.port&&(this.opts.secure&&443!==Number(this.opts.port)||!this.opts.secure&&80!==Number(this.opts.port))?":"+this.opts.port:""},i.u=function(t){var n=function(t){var n="";for(var i in t)t.hasOwnProperty(i)&&(n.length&&(n+="&"),n+=encodeURIComponent(i)+"="+encodeURIComponent(t[i]));return n}(t);return n.length?"?"+n:""},n}(L),z=function(t){function n(){var n;return(n=t.apply(this,arguments)||this).h=!1,n}s(n,t);var r=n.prototype;return r.doOpen=function(){this.v()},r.pause=function(t){var n=this;this.readyState="pausing";var i=function(){n.readyState="paused",t()};if(this.h||!this.writable){var r=0;this.h&&(r++,this.once("pollComplete",(function(){--r||i()}))),this.writable||(r++,this.once("drain",(function(){--r||i()})))}else i()},r.v=function(){this.h=!0,this.doPoll(),this.emitReserved("poll")},r.onData=function(t){var n=this;(function(t,n){for(var i=t.split(M),r=[],e=0;e<i.length;e++){var o=T(i[e],n);if(r.push(o),"error"===o.type)break}return r})(t,this.socket.binaryType).forEach((function(t){if("opening"===n.readyState&&"open"===t.type&&n.onOpen(),"close"===t.type)return n.onClose({description:"transport closed by the server"}),!1;n.onPacket(t)})),"closed"!==this.readyState&&(this.h=!1,this.emitReserved("pollComplete"),"open"===this.readyState&&this.v())},r.doClose=function(){var t=this,n=function(){t.write([{type:"close"}])};"open"===this.readyState?n():this.once("open",n)},r.write=function(t){var n=this;this.writable=!1,function(t,n){var i=t.length,r=new Array(i),e=0;t.forEach((function(t,o){k(t,!1,(function(t){r[o]=t,++e===i&&n(r.join(M))}))}))}(t,(function(t){n.doWrite(t,(function(){n.writable=!0,n.emitReserved("drain")}))}))},r.uri=function(){var t=this.opts.secure?"https":"http",n=this.query||{};return!1!==this.opts.timestampRequests&&(n[this.opts.timestampParam]=q()),this.supportsBinary||n.sid||(n.b64=1),this.createUri(t,n)},i(n,[{key:"name",get:function(){return"polling"}}])}(H),J=!1;try{J="undefined"!=typeof XMLHttpRequest&&"withCredentials"in new XMLHttpRequest}catch(t){}var K=J;function Y(){}var G=function(t){function n(n){var i;if(i=t.call(this,n)||this,"undefined"!=typeof location){var r="https:"===location.protocol,e=location.port;e||(e=r?"443":"80"),i.xd="undefined"!=typeof location&&n.hostname!==location.hostname||e!==n.port}return i}s(n,t);var i=n.prototype;return i.doWrite=function(t,n){var i=this,r=this.request({method:"POST",data:t});r.on("success",n),r.on("error",(function(t,n){i.onError("xhr post error",t,n)}))},i.doPoll=function(){var t=this,n=this.request();n.on("data",this.onData.bind(this)),n.on("error",(function(n,i){t.onError("xhr poll error",n,i)})),this.pollXhr=n},n}(z),Q=function(t){function n(n,i,r){var e;return(e=t.call(this)||this).createRequest=n,V(e,r),e.l=r,e.p=r.method||"GET",e.m=i,e.k=void 0!==r.data?r.data:null,e.A(),e}s(n,t);var i=n.prototype;return i.A=function(){var t,i=this,r=P(this.l,"agent","pfx","key","passphrase","cert","ca","ciphers","rejectUnauthorized","autoUnref");r.xdomain=!!this.l.xd;var e=this.j=this.createRequest(r);try{e.open(this.p,this.m,!0);try{if(this.l.extraHeaders)for(var o in e.setDisableHeaderCheck&&e.setDisableHeaderCheck(!0),this.l.extraHeaders)this.l.extraHeaders.hasOwnProperty(o)&&e.setRequestHeader(o,this.l.extraHeaders[o])}catch(t){}if("POST"===this.p)try{e.setRequestHeader("Content-type","text/plain;charset=UTF-8")}catch(t){}try{e.setRequestHeader("Accept","*/*")}catch(t){}null===(t=this.l.cookieJar)||void 0===t||t.addCookies(e),"withCredentials"in e&&(e.withCredentials=this.l.withCredentials),this.l.requestTimeout&&(e.timeout=this.l.requestTimeout),e.onreadystatechange=function(){var t;3===e.readyState&&(null===(t=i.l.cookieJar)||void 0===t||t.parseCookies(e.getResponseHeader("set-cookie"))),4===e.readyState&&(200===e.status||1223===e.status?i.O():i.setTimeoutFn((function(){i.B("number"==typeof e.status?e.status:0)}),0))},e.send(this.k)}catch(t){return void this.setTimeoutFn((function(){i.B(t)}),0)}"undefined"!=typeof document&&(this.S=n.requestsCount++,n.requests[this.S]=this)},i.B=function(t){this.emitReserved("error",t,this.j),this.N(!0)},i.N=function(t){if(void 0!==this.j&&null!==this.j){if(this.j.onreadystatechange=Y,t)try{this.j.abort()}catch(t){}"undefined"!=typeof document&&delete n.requests[this.S],this.j=null}},i.O=function(){var t=this.j.responseText;null!==t&&(this.emitReserved("data",t),this.emitReserved("success"),this.N())},i.abort=function(){this.N()},n}(L);if(Q.requestsCount=0,Q.requests={},"undefined"!=typeof document)if("function"==typeof attachEvent)attachEvent("onunload",W);else if("function"==typeof addEventListener){addEventListener("onpagehide"in D?"pagehide":"unload",W,!1)}function W(){for(var t in Q.requests)Q.requests.hasOwnProperty(t)&&Q.requests[t].abort()}var Z,tt=(Z=it({xdomain:!1}))&&null!==Z.responseType,nt=function(t){function n(n){var i;i=t.call(this,n)||this;var r=n&&n.forceBase64;return i.supportsBinary=tt&&!r,i}return s(n,t),n.prototype.request=function(){var t=arguments.length>0&&void 0!==arguments[0]?arguments[0]:{};return e(t,{xd:this.xd},this.opts),new Q(it,this.uri(),t)},n}(G);function it(t){var n=t.xdomain;try{if("undefined"!=typeof XMLHttpRequest&&(!n||K))return new XMLHttpRequest}catch(t){}if(!n)try{return new(D[["Active"].concat("Object").join("X")])("Microsoft.XMLHTTP")}catch(t){}}var rt="undefined"!=typeof navigator&&"string"==typeof navigator.product&&"reactnative"===navigator.product.toLowerCase(),et=function(t){function n(){return t.apply(this,arguments)||this}s(n,t);var r=n.prototype;return r.doOpen=function(){var t=this.uri(),n=this.opts.protocols,i=rt?{}:P(this.opts,"agent","perMessageDeflate","pfx","key","passphrase","cert","ca","ciphers","rejectUnauthorized","localAddress","protocolVersion","origin","maxPayload","family","checkServerIdentity");this.opts.extraHeaders&&(i.headers=this.opts.extraHeaders);try{this.ws=this.createSocket(t,n,i)}catch(t){return this.emitReserved("error",t)}this.ws.binaryType=this.socket.binaryType,this.addEventListeners()},r.addEventListeners=function(){var t=this;this.ws.onopen=function(){t.opts.autoUnref&&t.ws.T.unref(),t.onOpen()},this.ws.onclose=function(n){return t.onClose({description:"websocket connection closed",context:n})},this.ws.onmessage=function(n){return t.onData(n.data)},this.ws.onerror=function(n){return t.onError("websocket error",n)}},r.write=function(t){var n=this;this.writable=!1;for(var i=function(){var i=t[r],e=r===t.length-1;k(i,n.supportsBinary,(function(t){try{n.doWrite(i,t)}catch(t){}e&&_((function(){n.writable=!0,n.emitReserved("drain")}),n.setTimeoutFn)}))},r=0;r<t.length;r++)i()},r.doClose=function(){void 0!==this.ws&&(this.ws.onerror=function(){},this.ws.close(),this.ws=null)},r.uri=function(){var t=this.opts.secure?"wss":"ws",n=this.query||{};return this.opts.timestampRequests&&(n[this.opts.timestampParam]=q()),this.supportsBinary||(n.b64=1),this.createUri(t,n)},i(n,[{key:"name",get:function(){return"websocket"}}])}(H),ot=D.WebSocket||D.MozWebSocket,st=function(t){function n(){return t.apply(this,arguments)||this}s(n,t);var i=n.prototype;return i.createSocket=function(t,n,i){return rt?new ot(t,n,i):n?new ot(t,n):new ot(t)},i.doWrite=function(t,n){this.ws.send(n)},n}(et),ut=function(t){function n(){return t.apply(this,arguments)||this}s(n,t);var r=n.prototype;return r.doOpen=function(){var t=this;try{this.C=new WebTransport(this.createUri("https"),this.opts.transportOptions[this.name])}catch(t){return this.emitReserved("error",t)}this.C.closed.then((function(){t.onClose()})).catch((function(n){t.onError("webtransport error",n)})),this.C.ready.then((function(){t.C.createBidirectionalStream().then((function(n){var i=function(t,n){S||(S=new TextDecoder);var i=[],r=0,e=-1,o=!1;return new TransformStream({transform:function(s,u){for(i.push(s);;){if(0===r){if(x(i)<1)break;var h=R(i,1);o=!(128&~h[0]),e=127&h[0],r=e<126?3:126===e?1:2}else if(1===r){if(x(i)<2)break;var f=R(i,2);e=new DataView(f.buffer,f.byteOffset,f.length).getUint16(0),r=3}else if(2===r){if(x(i)<8)break;var c=R(i,8),a=new DataView(c.buffer,c.byteOffset,c.length),v=a.getUint32(0);if(v>Math.pow(2,21)-1){u.enqueue(b);break}e=v*Math.pow(2,32)+a.getUint32(4),r=3}else{if(x(i)<e)break;var l=R(i,e);u.enqueue(T(o?l:S.decode(l),n)),r=0}if(0===e||e>t){u.enqueue(b);break}}}})}(Number.MAX_SAFE_INTEGER,t.socket.binaryType),r=n.readable.pipeThrough(i).getReader(),e=I();e.readable.pipeTo(n.writable),t.U=e.writable.getWriter();!function n(){r.read().then((function(i){var r=i.done,e=i.value;r||(t.onPacket(e),n())})).catch((function(t){}))}();var o={type:"open"};t.query.sid&&(o.data='{"sid":"'.concat(t.query.sid,'"}')),t.U.write(o).then((function(){return t.onOpen()}))}))}))},r.write=function(t){var n=this;this.writable=!1;for(var i=function(){var i=t[r],e=r===t.length-1;n.U.write(i).then((function(){e&&_((function(){n.writable=!0,n.emitReserved("drain")}),n.setTimeoutFn)}))},r=0;r<t.length;r++)i()},r.doClose=function(){var t;null===(t=this.C)||void 0===t||t.close()},i(n,[{key:"name",get:function(){return"webtransport"}}])}(H),ht={websocket:st,webtransport:ut,polling:nt},ft=/^(?:(?![^:@\/?#]+:[^:@\/]*@)(http|https|ws|wss):\/\/)?((?:(([^:@\/?#]*)(?::([^:@\/?#]*))?)?@)?((?:[a-f0-9]{0,4}:){2,7}[a-f0-9]{0,4}|[^:\/?#]*)(?::(\d*))?)(((\/(?:[^?#](?![^?#\/]*\.[^?#\/.]+(?:[?#]|$)))*\/?)?([^?#\/]*))(?:\?([^#]*))?(?:#(.*))?)/,ct=["source","protocol","authority","userInfo","user","password","host","port","relative","path","directory","file","query","anchor"];function at(t){if(t.length>8e3)throw"URI too long";var n=t,i=t.indexOf("["),r=t.indexOf("]");-1!=i&&-1!=r&&(t=t.substring(0,i)+t.substring(i,r).replace(/:/g,";")+t.substring(r,t.length));for(var e,o,s=ft.exec(t||""),u={},h=14;h--;)u[ct[h]]=s[h]||"";return-1!=i&&-1!=r&&(u.source=n,u.host=u.host.substring(1,u.host.length-1).replace(/;/g,":"),u.authority=u.authority.replace("[","").replace("]","").replace(/;/g,":"),u.ipv6uri=!0),u.pathNames=function(t,n){var i=/\/{2,9}/g,r=n.replace(i,"/").split("/");"/"!=n.slice(0,1)&&0!==n.length||r.splice(0,1);"/"==n.slice(-1)&&r.splice(r.length-1,1);return r}(0,u.path),u.queryKey=(e=u.query,o={},e.replace(/(?:^|&)([^&=]*)=?([^&]*)/g,(function(t,n,i){n&&(o[n]=i)})),o),u}var vt="function"==typeof addEventListener&&"function"==typeof removeEventListener,lt=[];vt&&addEventListener("offline",(function(){lt.forEach((function(t){return t()}))}),!1);var pt=function(t){function n(n){var i,r,o,s=arguments.length>1&&void 0!==arguments[1]?arguments[1]:{};if((i=t.call(this)||this).binaryType="arraybuffer",i.writeBuffer=[],i.M=0,i.I=[],i.R=-1,i.L=-1,i._=-1,i.D=1/0,n&&"object"===a(n)&&(s=n,n=null),n){var u=at(n);s.hostname=u.host,s.secure="https"===u.protocol||"wss"===u.protocol,s.port=u.port,u.query&&(s.query=u.query)}else s.host&&(s.hostname=at(s.host).host);if(V(i,s),i.secure=null!=s.secure?s.secure:"undefined"!=typeof location&&"https:"===location.protocol,s.hostname&&!s.port&&(s.port=i.secure?"443":"80"),i.hostname=s.hostname||("undefined"!=typeof location?location.hostname:"localhost"),i.port=s.port||("undefined"!=typeof location&&location.port?location.port:i.secure?"443":"80"),s.transportImplementations&&s.transports)throw new Error("specifying both 'transportImplementations' and 'transports' options is not supported");return s.transportImplementations||(null===(r=s.transports)||void 0===r?void 0:r.length)&&"function"==typeof s.transports[0]?(i.transports=[],i.P=Object.create(null),(null!==(o=s.transportImplementations)&&void 0!==o?o:s.transports).forEach((function(t){var n=t.prototype.name;i.transports.push(n),i.P[n]=t}))):(i.transports=s.transports?f(s.transports):["polling","websocket","webtransport"],i.P=ht),i.opts=e({path:"/engine.io",agent:!1,withCredentials:!1,upgrade:!0,timestampParam:"t",rememberUpgrade:!1,addTrailingSlash:!0,rejectUnauthorized:!0,perMessageDeflate:{threshold:1024},transportOptions:{},closeOnBeforeunload:!1},s),i.opts.path=i.opts.path.replace(/\/$/,"")+(i.opts.addTrailingSlash?"/":""),"string"==typeof i.opts.query&&(i.opts.query=function(t){for(var n={},i=t.split("&"),r=0,e=i.length;r<e;r++){var o=i[r].split("=");n[decodeURIComponent(o[0])]=decodeURIComponent(o[1])}return n}(i.opts.query)),vt&&(i.opts.closeOnBeforeunload&&(i.$=function(){i.transport&&(i.transport.removeAllListeners(),i.transport.close())},addEventListener("beforeunload",i.$,!1)),"localhost"!==i.hostname&&(i.F=function(){i.V("transport close",{description:"network connection lost"})},lt.push(i.F))),i.opts.withCredentials&&(i.q=void 0),i.X(),i}s(n,t);var i=n.prototype;return i.createTransport=function(t){var n=e({},this.opts.query);n.EIO=4,n.transport=t,this.id&&(n.sid=this.id);var i=e({},this.opts,{query:n,socket:this,hostname:this.hostname,secure:this.secure,port:this.port},this.opts.transportOptions[t]);return new this.P[t](i)},i.X=function(){var t=this;if(0!==this.transports.length){var i=this.opts.rememberUpgrade&&n.priorWebsocketSuccess&&-1!==this.transports.indexOf("websocket")?"websocket":this.transports[0];this.readyState="opening";var r=this.createTransport(i);r.open(),this.setTransport(r)}else this.setTimeoutFn((function(){t.emitReserved("error","No transports available")}),0)},i.setTransport=function(t){var n=this;this.transport&&this.transport.removeAllListeners(),this.transport=t,t.on("drain",this.H.bind(this)).on("packet",this.J.bind(this)).on("error",this.B.bind(this)).on("close",(function(t){return n.V("transport close",t)}))},i.K=function(t){var i=this,r=this.createTransport(t),e=!1;n.priorWebsocketSuccess=!1;var o=function(){e||(r.send([{type:"ping",data:"probe"}]),r.once("packet",(function(t){if(!e)if("pong"===t.type&&"probe"===t.data){if(i.upgrading=!0,i.emitReserved("upgrading",r),!r)return;n.priorWebsocketSuccess="websocket"===r.name,i.transport.pause((function(){e||"closed"!==i.readyState&&(a(),i.setTransport(r),r.send([{type:"upgrade"}]),i.emitReserved("upgrade",r),r=null,i.upgrading=!1,i.flush())}))}else{var o=new Error("probe error");o.transport=r.name,i.emitReserved("upgradeError",o)}})))};function s(){e||(e=!0,a(),r.close(),r=null)}var u=function(t){var n=new Error("probe error: "+t);n.transport=r.name,s(),i.emitReserved("upgradeError",n)};function h(){u("transport closed")}function f(){u("socket closed")}function c(t){r&&t.name!==r.name&&s()}var a=function(){r.removeListener("open",o),r.removeListener("error",u),r.removeListener("close",h),i.off("close",f),i.off("upgrading",c)};r.once("open",o),r.once("error",u),r.once("close",h),this.once("close",f),this.once("upgrading",c),-1!==this.I.indexOf("webtransport")&&"webtransport"!==t?this.setTimeoutFn((function(){e||r.open()}),200):r.open()},i.onOpen=function(){if(this.readyState="open",n.priorWebsocketSuccess="websocket"===this.transport.name,this.emitReserved("open"),this.flush(),"open"===this.readyState&&this.opts.upgrade)for(var t=0;t<this.I.length;t++)this.K(this.I[t])},i.J=function(t){if("opening"===this.readyState||"open"===this.readyState||"closing"===this.readyState)switch(this.emitReserved("packet",t),this.emitReserved("heartbeat"),t.type){case"open":this.onHandshake(JSON.parse(t.data));break;case"ping":this.Y("pong"),this.emitReserved("ping"),this.emitReserved("pong"),this.G();break;case"error":var n=new Error("server error");n.code=t.data,this.B(n);break;case"message":this.emitReserved("data",t.data),this.emitReserved("message",t.data)}},i.onHandshake=function(t){this.emitReserved("handshake",t),this.id=t.sid,this.transport.query.sid=t.sid,this.I=this.W(t.upgrades),this.R=t.pingInterval,this.L=t.pingTimeout,this._=t.maxPayload,this.onOpen(),"closed"!==this.readyState&&this.G()},i.G=function(){var t=this;this.clearTimeoutFn(this.Z);var n=this.R+this.L;this.D=Date.now()+n,this.Z=this.setTimeoutFn((function(){t.V("ping timeout")}),n),this.opts.autoUnref&&this.Z.unref()},i.H=function(){this.writeBuffer.splice(0,this.M),this.M=0,0===this.writeBuffer.length?this.emitReserved("drain"):this.flush()},i.flush=function(){if("closed"!==this.readyState&&this.transport.writable&&!this.upgrading&&this.writeBuffer.length){var t=this.tt();this.transport.send(t),this.M=t.length,this.emitReserved("flush")}},i.tt=function(){if(!(this._&&"polling"===this.transport.name&&this.writeBuffer.length>1))return this.writeBuffer;for(var t,n=1,i=0;i<this.writeBuffer.length;i++){var r=this.writeBuffer[i].data;if(r&&(n+="string"==typeof(t=r)?function(t){for(var n=0,i=0,r=0,e=t.length;r<e;r++)(n=t.charCodeAt(r))<128?i+=1:n<2048?i+=2:n<55296||n>=57344?i+=3:(r++,i+=4);return i}(t):Math.ceil(1.33*(t.byteLength||t.size))),i>0&&n>this._)return this.writeBuffer.slice(0,i);n+=2}return this.writeBuffer},i.nt=function(){var t=this;if(!this.D)return!0;var n=Date.now()>this.D;return n&&(this.D=0,_((function(){t.V("ping timeout")}),this.setTimeoutFn)),n},i.write=function(t,n,i){return this.Y("message",t,n,i),this},i.send=function(t,n,i){return this.Y("message",t,n,i),this},i.Y=function(t,n,i,r){if("function"==typeof n&&(r=n,n=void 0),"function"==typeof i&&(r=i,i=null),"closing"!==this.readyState&&"closed"!==this.readyState){(i=i||{}).compress=!1!==i.compress;var e={type:t,data:n,options:i};this.emitReserved("packetCreate",e),this.writeBuffer.push(e),r&&this.once("flush",r),this.flush()}},i.close=function(){var t=this,n=function(){t.V("forced close"),t.transport.close()},i=function i(){t.off("upgrade",i),t.off("upgradeError",i),n()},r=function(){t.once("upgrade",i),t.once("upgradeError",i)};return"opening"!==this.readyState&&"open"!==this.readyState||(this.readyState="closing",this.writeBuffer.length?this.once("drain",(function(){t.upgrading?r():n()})):this.upgrading?r():n()),this},i.B=function(t){if(n.priorWebsocketSuccess=!1,this.opts.tryAllTransports&&this.transports.length>1&&"opening"===this.readyState)return this.transports.shift(),this.X();this.emitReserved("error",t),this.V("transport error",t)},i.V=function(t,n){if("opening"===this.readyState||"open"===this.readyState||"closing"===this.readyState){if(this.clearTimeoutFn(this.Z),this.transport.removeAllListeners("close"),this.transport.close(),this.transport.removeAllListeners(),vt&&(this.$&&removeEventListener("beforeunload",this.$,!1),this.F)){var i=lt.indexOf(this.F);-1!==i&&lt.splice(i,1)}this.readyState="closed",this.id=null,this.emitReserved("close",t,n),this.writeBuffer=[],this.M=0}},i.W=function(t){for(var n=[],i=0;i<t.length;i++)~this.transports.indexOf(t[i])&&n.push(t[i]);return n},n}(L);pt.protocol=4,pt.protocol;var dt="function"==typeof ArrayBuffer,yt=function(t){return"function"==typeof ArrayBuffer.isView?ArrayBuffer.isView(t):t.buffer instanceof ArrayBuffer},bt=Object.prototype.toString,wt="function"==typeof Blob||"undefined"!=typeof Blob&&"[object BlobConstructor]"===bt.call(Blob),gt="function"==typeof File||"undefined"!=typeof File&&"[object FileConstructor]"===bt.call(File);function mt(t){return dt&&(t instanceof ArrayBuffer||yt(t))||wt&&t instanceof Blob||gt&&t instanceof File}function kt(t,n){if(!t||"object"!==a(t))return!1;if(Array.isArray(t)){for(var i=0,r=t.length;i<r;i++)if(kt(t[i]))return!0;return!1}if(mt(t))return!0;if(t.toJSON&&"function"==typeof t.toJSON&&1===arguments.length)return kt(t.toJSON(),!0);for(var e in t)if(Object.prototype.hasOwnProperty.call(t,e)&&kt(t[e]))return!0;return!1}function At(t){var n=[],i=t.data,r=t;return r.data=Et(i,n),r.attachments=n.length,{packet:r,buffers:n}}function Et(t,n,i){if(!t)return t;if(mt(t)){var r={_placeholder:!0,num:n.length};return n.push(t),r}if(Array.isArray(t)){for(var e=new Array(t.length),o=0;o<t.length;o++)e[o]=Et(t[o],n);return e}if("object"===a(t)&&!(t instanceof Date)){if(t.toJSON&&"function"==typeof t.toJSON&&!i)return Et(t.toJSON(),n,!0);var s={};for(var u in t)Object.prototype.hasOwnProperty.call(t,u)&&(s[u]=Et(t[u],n));return s}return t}function jt(t,n){return t.data=Ot(t.data,n),delete t.attachments,t}function Ot(t,n){if(!t)return t;if(t&&!0===t._placeholder){if("number"==typeof t.num&&t.num>=0&&t.num<n.length)return n[t.num];throw new Error("illegal attachments")}if(Array.isArray(t))for(var i=0;i<t.length;i++)t[i]=Ot(t[i],n);else if("object"===a(t))for(var r in t)Object.prototype.hasOwnProperty.call(t,r)&&(t[r]=Ot(t[r],n));return t}var Bt,St=["connect","connect_error","disconnect","disconnecting","newListener","removeListener"];!function(t){t[t.CONNECT=0]="CONNECT",t[t.DISCONNECT=1]="DISCONNECT",t[t.EVENT=2]="EVENT",t[t.ACK=3]="ACK",t[t.CONNECT_ERROR=4]="CONNECT_ERROR",t[t.BINARY_EVENT=5]="BINARY_EVENT",t[t.BINARY_ACK=6]="BINARY_ACK"}(Bt||(Bt={}));var Nt=function(){function t(t){this.replacer=t}var n=t.prototype;return n.encode=function(t){return t.type!==Bt.EVENT&&t.type!==Bt.ACK||!kt(t)?[this.encodeAsString(t)]:this.encodeAsBinary({type:t.type===Bt.EVENT?Bt.BINARY_EVENT:Bt.BINARY_ACK,nsp:t.nsp,data:t.data,id:t.id})},n.encodeAsString=function(t){var n=""+t.type;return t.type!==Bt.BINARY_EVENT&&t.type!==Bt.BINARY_ACK||(n+=t.attachments+"-"),t.nsp&&"/"!==t.nsp&&(n+=t.nsp+","),null!=t.id&&(n+=t.id),null!=t.data&&(n+=JSON.stringify(t.data,this.replacer)),n},n.encodeAsBinary=function(t){var n=At(t),i=this.encodeAsString(n.packet),r=n.buffers;return r.unshift(i),r},t}(),Tt=function(t){function n(n){var i;return(i=t.call(this)||this).opts=e({reviver:void 0,maxAttachments:10},"function"==typeof n?{reviver:n}:n),i}s(n,t);var i=n.prototype;return i.add=function(n){var i;if("string"==typeof n){if(this.reconstructor)throw new Error("got plaintext data when reconstructing a packet");var r=(i=this.decodeString(n)).type===Bt.BINARY_EVENT;r||i.type===Bt.BINARY_ACK?(i.type=r?Bt.EVENT:Bt.ACK,this.reconstructor=new Ct(i)):t.prototype.emitReserved.call(this,"decoded",i)}else{if(!mt(n)&&!n.base64)throw new Error("Unknown type: "+n);if(!this.reconstructor)throw new Error("got binary data when not reconstructing a packet");(i=this.reconstructor.takeBinaryData(n))&&(this.reconstructor=null,t.prototype.emitReserved.call(this,"decoded",i))}},i.decodeString=function(t){var i=0,r={type:Number(t.charAt(0))};if(void 0===Bt[r.type])throw new Error("unknown packet type "+r.type);if(r.type===Bt.BINARY_EVENT||r.type===Bt.BINARY_ACK){for(var e=i+1;"-"!==t.charAt(++i)&&i!=t.length;);var o=t.substring(e,i);if(o!=Number(o)||"-"!==t.charAt(i))throw new Error("Illegal attachments");var s=Number(o);if(!Ut(s)||s<1)throw new Error("Illegal attachments");if(s>this.opts.maxAttachments)throw new Error("too many attachments");r.attachments=s}if("/"===t.charAt(i+1)){for(var u=i+1;++i;){if(","===t.charAt(i))break;if(i===t.length)break}r.nsp=t.substring(u,i)}else r.nsp="/";var h=t.charAt(i+1);if(""!==h&&Number(h)==h){for(var f=i+1;++i;){var c=t.charAt(i);if(null==c||Number(c)!=c){--i;break}if(i===t.length)break}r.id=Number(t.substring(f,i+1))}if(t.charAt(++i)){var a=this.tryParse(t.substr(i));if(!n.isPayloadValid(r.type,a))throw new Error("invalid payload");r.data=a}return r},i.tryParse=function(t){try{return JSON.parse(t,this.opts.reviver)}catch(t){return!1}},n.isPayloadValid=function(t,n){switch(t){case Bt.CONNECT:return Mt(n);case Bt.DISCONNECT:return void 0===n;case Bt.CONNECT_ERROR:return"string"==typeof n||Mt(n);case Bt.EVENT:case Bt.BINARY_EVENT:return Array.isArray(n)&&("number"==typeof n[0]||"string"==typeof n[0]&&-1===St.indexOf(n[0]));case Bt.ACK:case Bt.BINARY_ACK:return Array.isArray(n)}},i.destroy=function(){this.reconstructor&&(this.reconstructor.finishedReconstruction(),this.reconstructor=null)},n}(L),Ct=function(){function t(t){this.packet=t,this.buffers=[],this.reconPack=t}var n=t.prototype;return n.takeBinaryData=function(t){if(this.buffers.push(t),this.buffers.length===this.reconPack.attachments){var n=jt(this.reconPack,this.buffers);return this.finishedReconstruction(),n}return null},n.finishedReconstruction=function(){this.reconPack=null,this.buffers=[]},t}();var Ut=Number.isInteger||function(t){return"number"==typeof t&&isFinite(t)&&Math.floor(t)===t};function Mt(t){return"[object Object]"===Object.prototype.toString.call(t)}var It=Object.freeze({__proto__:null,protocol:5,get PacketType(){return Bt},Encoder:Nt,Decoder:Tt,isPacketValid:function(t){return"string"==typeof t.nsp&&(void 0===(n=t.id)||Ut(n))&&function(t,n){switch(t){case Bt.CONNECT:return void 0===n||Mt(n);case Bt.DISCONNECT:return void 0===n;case Bt.EVENT:return Array.isArray(n)&&("number"==typeof n[0]||"string"==typeof n[0]&&-1===St.indexOf(n[0]));case Bt.ACK:return Array.isArray(n);case Bt.CONNECT_ERROR:return"string"==typeof n||Mt(n);default:return!1}}(t.type,t.data);var n}});function xt(t,n,i){return t.on(n,i),function(){t.off(n,i)}}var Rt=Object.freeze({connect:1,connect_error:1,disconnect:1,disconnecting:1,newListener:1,removeListener:1}),Lt=function(t){function n(n,i,r){var o;return(o=t.call(this)||this).connected=!1,o.recovered=!1,o.receiveBuffer=[],o.sendBuffer=[],o.it=[],o.rt=0,o.ids=0,o.acks={},o.flags={},o.io=n,o.nsp=i,r&&r.auth&&(o.auth=r.auth),o.l=e({},r),o.io.et&&o.open(),o}s(n,t);var o=n.prototype;return o.subEvents=function(){if(!this.subs){var t=this.io;this.subs=[xt(t,"open",this.onopen.bind(this)),xt(t,"packet",this.onpacket.bind(this)),xt(t,"error",this.onerror.bind(this)),xt(t,"close",this.onclose.bind(this))]}},o.connect=function(){return this.connected||(this.subEvents(),this.io.ot||this.io.open(),"open"===this.io.st&&this.onopen()),this},o.open=function(){return this.connect()},o.send=function(){for(var t=arguments.length,n=new Array(t),i=0;i<t;i++)n[i]=arguments[i];return n.unshift("message"),this.emit.apply(this,n),this},o.emit=function(t){var n,i,r;if(Rt.hasOwnProperty(t))throw new Error('"'+t.toString()+'" is a reserved event name');for(var e=arguments.length,o=new Array(e>1?e-1:0),s=1;s<e;s++)o[s-1]=arguments[s];if(o.unshift(t),this.l.retries&&!this.flags.fromQueue&&!this.flags.volatile)return this.ut(o),this;var u={type:Bt.EVENT,data:o,options:{}};if(u.options.compress=!1!==this.flags.compress,"function"==typeof o[o.length-1]){var h=this.ids++,f=o.pop();this.ht(h,f),u.id=h}var c=null===(i=null===(n=this.io.engine)||void 0===n?void 0:n.transport)||void 0===i?void 0:i.writable,a=this.connected&&!(null===(r=this.io.engine)||void 0===r?void 0:r.nt());return this.flags.volatile&&!c||(a?(this.notifyOutgoingListeners(u),this.packet(u)):this.sendBuffer.push(u)),this.flags={},this},o.ht=function(t,n){var i,r=this,e=null!==(i=this.flags.timeout)&&void 0!==i?i:this.l.ackTimeout;if(void 0!==e){var o=this.io.setTimeoutFn((function(){delete r.acks[t];for(var i=0;i<r.sendBuffer.length;i++)r.sendBuffer[i].id===t&&r.sendBuffer.splice(i,1);n.call(r,new Error("operation has timed out"))}),e),s=function(){r.io.clearTimeoutFn(o);for(var t=arguments.length,i=new Array(t),e=0;e<t;e++)i[e]=arguments[e];n.apply(r,i)};s.withError=!0,this.acks[t]=s}else this.acks[t]=n},o.emitWithAck=function(t){for(var n=this,i=arguments.length,r=new Array(i>1?i-1:0),e=1;e<i;e++)r[e-1]=arguments[e];return new Promise((function(i,e){var o=function(t,n){return t?e(t):i(n)};o.withError=!0,r.push(o),n.emit.apply(n,[t].concat(r))}))},o.ut=function(t){var n,i=this;"function"==typeof t[t.length-1]&&(n=t.pop());var r={id:this.rt++,tryCount:0,pending:!1,args:t,flags:e({fromQueue:!0},this.flags)};t.push((function(t){if(i.it[0],null!==t)r.tryCount>i.l.retries&&(i.it.shift(),n&&n(t));else if(i.it.shift(),n){for(var e=arguments.length,o=new Array(e>1?e-1:0),s=1;s<e;s++)o[s-1]=arguments[s];n.apply(void 0,[null].concat(o))}return r.pending=!1,i.ft()})),this.it.push(r),this.ft()},o.ft=function(){var t=arguments.length>0&&void 0!==arguments[0]&&arguments[0];if(this.connected&&0!==this.it.length){var n=this.it[0];n.pending&&!t||(n.pending=!0,n.tryCount++,this.flags=n.flags,this.emit.apply(this,n.args))}},o.packet=function(t){t.nsp=this.nsp,this.io.ct(t)},o.onopen=function(){var t=this;"function"==typeof this.auth?this.auth((function(n){t.vt(n)})):this.vt(this.auth)},o.vt=function(t){this.packet({type:Bt.CONNECT,data:this.lt?e({pid:this.lt,offset:this.dt},t):t})},o.onerror=function(t){this.connected||this.emitReserved("connect_error",t)},o.onclose=function(t,n){this.connected=!1,delete this.id,this.emitReserved("disconnect",t,n),this.yt()},o.yt=function(){var t=this;Object.keys(this.acks).forEach((function(n){if(!t.sendBuffer.some((function(t){return String(t.id)===n}))){var i=t.acks[n];delete t.acks[n],i.withError&&i.call(t,new Error("socket has been disconnected"))}}))},o.onpacket=function(t){if(t.nsp===this.nsp)switch(t.type){case Bt.CONNECT:t.data&&t.data.sid?this.onconnect(t.data.sid,t.data.pid):this.emitReserved("connect_error",new Error("It seems you are trying to reach a Socket.IO server in v2.x with a v3.x client, but they are not compatible (more information here: https://socket.io/docs/v3/migrating-from-2-x-to-3-0/)"));break;case Bt.EVENT:case Bt.BINARY_EVENT:this.onevent(t);break;case Bt.ACK:case Bt.BINARY_ACK:this.onack(t);break;case Bt.DISCONNECT:this.ondisconnect();break;case Bt.CONNECT_ERROR:this.destroy();var n=new Error(t.data.message);n.data=t.data.data,this.emitReserved("connect_error",n)}},o.onevent=function(t){var n=t.data||[];null!=t.id&&n.push(this.ack(t.id)),this.connected?this.emitEvent(n):this.receiveBuffer.push(Object.freeze(n))},o.emitEvent=function(n){if(this.bt&&this.bt.length){var i,e=r(this.bt.slice());try{for(e.s();!(i=e.n()).done;){i.value.apply(this,n)}}catch(t){e.e(t)}finally{e.f()}}t.prototype.emit.apply(this,n),this.lt&&n.length&&"string"==typeof n[n.length-1]&&(this.dt=n[n.length-1])},o.ack=function(t){var n=this,i=!1;return function(){if(!i){i=!0;for(var r=arguments.length,e=new Array(r),o=0;o<r;o++)e[o]=arguments[o];n.packet({type:Bt.ACK,id:t,data:e})}}},o.onack=function(t){var n=this.acks[t.id];"function"==typeof n&&(delete this.acks[t.id],n.withError&&t.data.unshift(null),n.apply(this,t.data))},o.onconnect=function(t,n){this.id=t,this.recovered=n&&this.lt===n,this.lt=n,this.connected=!0,this.emitBuffered(),this.ft(!0),this.emitReserved("connect")},o.emitBuffered=function(){var t=this;this.receiveBuffer.forEach((function(n){return t.emitEvent(n)})),this.receiveBuffer=[],this.sendBuffer.forEach((function(n){t.notifyOutgoingListeners(n),t.packet(n)})),this.sendBuffer=[]},o.ondisconnect=function(){this.destroy(),this.onclose("io server disconnect")},o.destroy=function(){this.subs&&(this.subs.forEach((function(t){return t()})),this.subs=void 0),this.io.wt(this)},o.disconnect=function(){return this.connected&&this.packet({type:Bt.DISCONNECT}),this.destroy(),this.connected&&this.onclose("io client disconnect"),this},o.close=function(){return this.disconnect()},o.compress=function(t){return this.flags.compress=t,this},o.timeout=function(t){return this.flags.timeout=t,this},o.onAny=function(t){return this.bt=this.bt||[],this.bt.push(t),this},o.prependAny=function(t){return this.bt=this.bt||[],this.bt.unshift(t),this},o.offAny=function(t){if(!this.bt)return this;if(t){for(var n=this.bt,i=0;i<n.length;i++)if(t===n[i])return n.splice(i,1),this}else this.bt=[];return this},o.listenersAny=function(){return this.bt||[]},o.onAnyOutgoing=function(t){return this.gt=this.gt||[],this.gt.push(t),this},o.prependAnyOutgoing=function(t){return this.gt=this.gt||[],this.gt.unshift(t),this},o.offAnyOutgoing=function(t){if(!this.gt)return this;if(t){for(var n=this.gt,i=0;i<n.length;i++)if(t===n[i])return n.splice(i,1),this}else this.gt=[];return this},o.listenersAnyOutgoing=function(){return this.gt||[]},o.notifyOutgoingListeners=function(t){if(this.gt&&this.gt.length){var n,i=r(this.gt.slice());try{for(i.s();!(n=i.n()).done;){n.value.apply(this,t.data)}}catch(t){i.e(t)}finally{i.f()}}},i(n,[{key:"disconnected",get:function(){return!this.connected}},{key:"active",get:function(){return!!this.subs}},{key:"volatile",get:function(){return this.flags.volatile=!0,this}}])}(L);function _t(t){t=t||{},this.ms=t.min||100,this.max=t.max||1e4,this.factor=t.factor||2,this.jitter=t.jitter>0&&t.jitter<=1?t.jitter:0,this.attempts=0}_t.prototype.duration=function(){var t=this.ms*Math.pow(this.factor,this.attempts++);if(this.jitter){var n=Math.random(),i=Math.floor(n*this.jitter*t);t=1&Math.floor(10*n)?t+i:t-i}return 0|Math.min(t,this.max)},_t.prototype.reset=function(){this.attempts=0},_t.prototype.setMin=function(t){this.ms=t},_t.prototype.setMax=function(t){this.max=t},_t.prototype.setJitter=function(t){this.jitter=t};var Dt=function(t){function n(n,i){var r,e;(r=t.call(this)||this).nsps={},r.subs=[],n&&"object"===a(n)&&(i=n,n=void 0),(i=i||{}).path=i.path||"/socket.io",r.opts=i,V(r,i),r.reconnection(!1!==i.reconnection),r.reconnectionAttempts(i.reconnectionAttempts||1/0),r.reconnectionDelay(i.reconnectionDelay||1e3),r.reconnectionDelayMax(i.reconnectionDelayMax||5e3),r.randomizationFactor(null!==(e=i.randomizationFactor)&&void 0!==e?e:.5),r.backoff=new _t({min:r.reconnectionDelay(),max:r.reconnectionDelayMax(),jitter:r.randomizationFactor()}),r.timeout(null==i.timeout?2e4:i.timeout),r.st="closed",r.uri=n;var o=i.parser||It;return r.encoder=new o.Encoder,r.decoder=new o.Decoder,r.et=!1!==i.autoConnect,r.et&&r.open(),r}s(n,t);var i=n.prototype;return i.reconnection=function(t){return arguments.length?(this.kt=!!t,t||(this.skipReconnect=!0),this):this.kt},i.reconnectionAttempts=function(t){return void 0===t?this.At:(this.At=t,this)},i.reconnectionDelay=function(t){var n;return void 0===t?this.Et:(this.Et=t,null===(n=this.backoff)||void 0===n||n.setMin(t),this)},i.randomizationFactor=function(t){var n;return void 0===t?this.jt:(this.jt=t,null===(n=this.backoff)||void 0===n||n.setJitter(t),this)},i.reconnectionDelayMax=function(t){var n;return void 0===t?this.Ot:(this.Ot=t,null===(n=this.backoff)||void 0===n||n.setMax(t),this)},i.timeout=function(t){return arguments.length?(this.Bt=t,this):this.Bt},i.maybeReconnectOnOpen=function(){!this.ot&&this.kt&&0===this.backoff.attempts&&this.reconnect()},i.open=function(t){var n=this;if(~this.st.indexOf("open"))return this;this.engine=new pt(this.uri,this.opts);var i=this.engine,r=this;this.st="opening",this.skipReconnect=!1;var e=xt(i,"open",(function(){r.onopen(),t&&t()})),o=function(i){n.cleanup(),n.st="closed",n.emitReserved("error",i),t?t(i):n.maybeReconnectOnOpen()},s=xt(i,"error",o);if(!1!==this.Bt){var u=this.Bt,h=this.setTimeoutFn((function(){e(),o(new Error("timeout")),i.close()}),u);this.opts.autoUnref&&h.unref(),this.subs.push((function(){n.clearTimeoutFn(h)}))}return this.subs.push(e),this.subs.push(s),this},i.connect=function(t){return this.open(t)},i.onopen=function(){this.cleanup(),this.st="open",this.emitReserved("open");var t=this.engine;this.subs.push(xt(t,"ping",this.onping.bind(this)),xt(t,"data",this.ondata.bind(this)),xt(t,"error",this.onerror.bind(this)),xt(t,"close",this.onclose.bind(this)),xt(this.decoder,"decoded",this.ondecoded.bind(this)))},i.onping=function(){this.emitReserved("ping")},i.ondata=function(t){try{this.decoder.add(t)}catch(t){this.onclose("parse error",t)}},i.ondecoded=function(t){var n=this;_((function(){n.emitReserved("packet",t)}),this.setTimeoutFn)},i.onerror=function(t){this.emitReserved("error",t)},i.socket=function(t,n){var i=this.nsps[t];return i?this.et&&!i.active&&i.connect():(i=new Lt(this,t,n),this.nsps[t]=i),i},i.wt=function(t){for(var n=0,i=Object.keys(this.nsps);n<i.length;n++){var r=i[n];if(this.nsps[r].active)return}this.St()},i.ct=function(t){for(var n=this.encoder.encode(t),i=0;i<n.length;i++)this.engine.write(n[i],t.options)},i.cleanup=function(){this.subs.forEach((function(t){return t()})),this.subs.length=0,this.decoder.destroy()},i.St=function(){this.skipReconnect=!0,this.ot=!1,this.onclose("forced close")},i.disconnect=function(){return this.St()},i.onclose=function(t,n){var i;this.cleanup(),null===(i=this.engine)||void 0===i||i.close(),this.backoff.reset(),this.st="closed",this.emitReserved("close",t,n),this.kt&&!this.skipReconnect&&this.reconnect()},i.reconnect=function(){var t=this;if(this.ot||this.skipReconnect)return this;var n=this;if(this.backoff.attempts>=this.At)this.backoff.reset(),this.emitReserved("reconnect_failed"),this.ot=!1;else{var i=this.backoff.duration();this.ot=!0;var r=this.setTimeoutFn((function(){n.skipReconnect||(t.emitReserved("reconnect_attempt",n.backoff.attempts),n.skipReconnect||n.open((function(i){i?(n.ot=!1,n.reconnect(),t.emitReserved("reconnect_error",i)):n.onreconnect()})))}),i);this.opts.autoUnref&&r.unref(),this.subs.push((function(){t.clearTimeoutFn(r)}))}},i.onreconnect=function(){var t=this.backoff.attempts;this.ot=!1,this.backoff.reset(),this.emitReserved("reconnect",t)},n}(L),Pt={};function $t(t,n){"object"===a(t)&&(n=t,t=void 0);var i,r=function(t){var n=arguments.length>1&&void 0!==arguments[1]?arguments[1]:"",i=arguments.length>2?arguments[2]:void 0,r=t;i=i||"undefined"!=typeof location&&location,null==t&&(t=i.protocol+"//"+i.host),"string"==typeof t&&("/"===t.charAt(0)&&(t="/"===t.charAt(1)?i.protocol+t:i.host+t),/^(https?|wss?):\/\//.test(t)||(t=void 0!==i?i.protocol+"//"+t:"https://"+t),r=at(t)),r.port||(/^(http|ws)$/.test(r.protocol)?r.port="80":/^(http|ws)s$/.test(r.protocol)&&(r.port="443")),r.path=r.path||"/";var e=-1!==r.host.indexOf(":")?"["+r.host+"]":r.host;return r.id=r.protocol+"://"+e+":"+r.port+n,r.href=r.protocol+"://"+e+(i&&i.port===r.port?"":":"+r.port),r}(t,(n=n||{}).path||"/socket.io"),e=r.source,o=r.id,s=r.path,u=Pt[o]&&s in Pt[o].nsps;return n.forceNew||n["force new connection"]||!1===n.multiplex||u?i=new Dt(e,n):(Pt[o]||(Pt[o]=new Dt(e,n)),i=Pt[o]),r.query&&!n.query&&(n.query=r.queryKey),i.socket(r.path,n)}return e($t,{Manager:Dt,Socket:Lt,io:$t,connect:$t}),$t}));
;var io=module.exports;
var CSS=".dalil,.dalil *{box-sizing:border-box}.dalil [hidden]{display:none!important}.dalil{--dalil-c:#0a58ca;--dalil-ct:#fff;position:fixed;bottom:16px;inset-inline-end:16px;z-index:2147483000;font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",\"Noto Naskh Arabic\",Tahoma,Arial,sans-serif;color:#1b1f23;text-align:start}.dalil button,.dalil input{font:inherit;color:inherit;margin:0}.dalil button{cursor:pointer}.dalil :focus-visible{outline:3px solid #1b1f23;outline-offset:2px}.dalil-head :focus-visible,.dalil-launcher:focus-visible{outline-color:#ffbf47}.dalil svg{width:24px;height:24px;fill:currentColor;display:block}.dalil-sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}.dalil-launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--dalil-c);color:var(--dalil-ct);display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);margin-inline-start:auto}.dalil-launcher svg{width:28px;height:28px}.dalil-panel{position:fixed;bottom:84px;inset-inline-end:16px;width:370px;max-width:calc(100vw - 32px);height:min(600px,calc(100vh - 104px));display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.3);overflow:hidden}.dalil-head{display:flex;align-items:center;gap:4px;padding:6px 6px 6px 14px;padding-inline:14px 6px;background:var(--dalil-c);color:var(--dalil-ct);position:relative}.dalil-title{flex:1;margin:0;color:inherit;font-size:17px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.dalil-icon{width:44px;height:44px;border:0;border-radius:8px;background:transparent;color:inherit;display:flex;align-items:center;justify-content:center;flex:none}.dalil-icon:hover{background:rgba(255,255,255,.15)}.dalil-menu{position:absolute;top:100%;inset-inline-end:6px;min-width:220px;background:#fff;color:#1b1f23;border:1px solid #c4cad0;border-radius:8px;box-shadow:0 6px 20px rgba(0,0,0,.25);padding:6px 0;z-index:2}.dalil-menu-label{padding:4px 14px;font-size:13px;color:#4d5761}.dalil-menu button{display:block;width:100%;min-height:40px;padding:8px 14px;border:0;background:transparent;text-align:start}.dalil-menu button:hover,.dalil-menu button:focus{background:#e8eef7}.dalil-menu [aria-checked=true]{font-weight:700}.dalil-menu [aria-checked=true]::before{content:\"✓ \"}.dalil-menu hr{border:0;border-top:1px solid #d8dde2;margin:6px 0}.dalil-erase{color:#a4161a!important}.dalil-notice,.dalil-note{margin:0;padding:8px 14px;font-size:14px;border-bottom:1px solid #e6d3b8;background:#fff4e5;color:#6b3500}.dalil-note{background:#eef5ee;color:#1e4620;border-color:#c7dcc8}.dalil-note.dalil-warn{background:#fff4e5;color:#6b3500;border-color:#e6d3b8}.dalil-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain}.dalil-msg{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;text-align:start}.dalil-bot{align-self:flex-start;background:#eef1f4;color:#1b1f23;border-end-start-radius:4px}.dalil-user{align-self:flex-end;background:var(--dalil-c);color:var(--dalil-ct);border-end-end-radius:4px}.dalil-msg a{color:#0846a8;text-decoration:underline}.dalil-user a{color:inherit}.dalil-msg img{display:block;max-width:100%;height:auto;border-radius:8px;margin-top:6px}.dalil-msg[data-pending]::after{content:\" · ⏳ \" attr(data-pending);font-size:12px}.dalil-typing{align-self:flex-start;display:flex;gap:4px;padding:12px 14px;margin:0 12px 6px;background:#eef1f4;border-radius:14px}.dalil-typing i{width:7px;height:7px;border-radius:50%;background:#4d5761;animation:dalil-blink 1.2s infinite both}.dalil-typing i:nth-child(2){animation-delay:.2s}.dalil-typing i:nth-child(3){animation-delay:.4s}@keyframes dalil-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}@media (prefers-reduced-motion:reduce){.dalil-typing i{animation:none}}.dalil-qr{display:flex;flex-wrap:wrap;gap:6px;padding:4px 12px 8px;max-height:40%;overflow-y:auto}.dalil-qr button{min-height:36px;padding:6px 12px;border:1.5px solid var(--dalil-c);border-radius:18px;background:#fff;color:#1b1f23}.dalil-qr button:hover{background:#e8eef7}.dalil-form{display:flex;gap:8px;padding:8px 10px;border-top:1px solid #d8dde2;align-items:center}.dalil-input{flex:1;min-width:0;height:44px;padding:0 14px;border:1px solid #6b7580;border-radius:22px;background:#fff;font-size:16px!important}.dalil-input::placeholder{color:#5c6670;opacity:1}.dalil-send{width:44px;height:44px;border:0;border-radius:50%;background:var(--dalil-c);color:var(--dalil-ct);display:flex;align-items:center;justify-content:center;flex:none}.dalil-panel[dir=rtl] .dalil-send svg{transform:scaleX(-1)}@media (max-width:480px){.dalil{bottom:12px;inset-inline-end:12px}.dalil-panel{inset:0;width:auto;max-width:none;height:auto;border-radius:0}.dalil-open .dalil-launcher{display:none}}";
/* Dalil web chat widget: plain JS, no framework. `io` (Socket.IO client) and `CSS` are
   provided by the bundle (bot/web/widget/build.py). Speaks Rasa's socket.io channel:
   session_request/session_confirm, user_uttered/bot_uttered. Message text is only ever
   inserted as text nodes. */
if (window.DalilWidget) return;

var LANGS = ['en', 'fr', 'nl', 'ar'];
var NAMES = {en: 'English', fr: 'Français', nl: 'Nederlands', ar: 'العربية'};
var TEXT = {
  en: {title: 'Dalil', open: 'Open chat with Dalil', close: 'Close chat', menu: 'Menu',
    language: 'Language', erase: 'Erase my conversation', erased: 'Your conversation was erased.',
    eraseFailed: 'The conversation could not be erased. Please try again.',
    offline: 'No connection to Dalil. Reconnecting… Your messages will be sent as soon as the connection is back.',
    placeholder: 'Write your message…', send: 'Send', typing: 'Dalil is writing…',
    pending: 'Not sent yet', log: 'Conversation', image: 'Image sent by Dalil',
    noAnswer: 'Dalil could not answer just now. Please try again in a moment.'},
  fr: {title: 'Dalil', open: 'Ouvrir la discussion avec Dalil', close: 'Fermer la discussion', menu: 'Menu',
    language: 'Langue', erase: 'Effacer ma conversation', erased: 'Votre conversation a été effacée.',
    eraseFailed: "La conversation n'a pas pu être effacée. Veuillez réessayer.",
    offline: 'Pas de connexion avec Dalil. Reconnexion… Vos messages seront envoyés dès le retour de la connexion.',
    placeholder: 'Écrivez votre message…', send: 'Envoyer', typing: 'Dalil écrit…',
    pending: 'Pas encore envoyé', log: 'Conversation', image: 'Image envoyée par Dalil',
    noAnswer: "Dalil n'a pas pu répondre pour le moment. Veuillez réessayer dans un instant."},
  nl: {title: 'Dalil', open: 'Chat met Dalil openen', close: 'Chat sluiten', menu: 'Menu',
    language: 'Taal', erase: 'Mijn gesprek wissen', erased: 'Je gesprek is gewist.',
    eraseFailed: 'Het gesprek kon niet worden gewist. Probeer het opnieuw.',
    offline: 'Geen verbinding met Dalil. Opnieuw verbinden… Je berichten worden verstuurd zodra de verbinding terug is.',
    placeholder: 'Typ je bericht…', send: 'Verzenden', typing: 'Dalil typt…',
    pending: 'Nog niet verzonden', log: 'Gesprek', image: 'Afbeelding van Dalil',
    noAnswer: 'Dalil kon nu niet antwoorden. Probeer het zo opnieuw.'},
  ar: {title: 'دليل', open: 'افتح المحادثة مع دليل', close: 'أغلق المحادثة', menu: 'القائمة',
    language: 'اللغة', erase: 'امسح محادثتي', erased: 'تم مسح محادثتك.',
    eraseFailed: 'تعذّر مسح المحادثة. يرجى المحاولة مرة أخرى.',
    offline: 'لا يوجد اتصال بدليل. جارٍ إعادة الاتصال… ستُرسَل رسائلك فور عودة الاتصال.',
    placeholder: 'اكتب رسالتك…', send: 'إرسال', typing: 'دليل يكتب…',
    pending: 'لم تُرسَل بعد', log: 'المحادثة', image: 'صورة أرسلها دليل',
    noAnswer: 'تعذّر على دليل الرد الآن. يرجى المحاولة مرة أخرى بعد قليل.'}
};
// A few frequent words per Latin-script language, to follow the language the bot answers in.
var WORDS = {
  en: ' the you your to and are for of with can what where this need help ',
  fr: ' le la les des une vous votre vos est pour et du dans sur avec pas où quoi besoin aide ',
  nl: ' het een jij u voor van niet ik met op wat waar kan jouw uw hulp nodig zijn '
};
var RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/g;
var LTR = /[A-Za-z\u00C0-\u024F]/g;
var URL_RE = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|https?:\/\/[^\s<>"]+/g;
var ACK_MS = 60000;
var MAX_KEPT = 100;

var script = document.currentScript || document.querySelector('script[src*="dalil"]');
var ds = (script && script.dataset) || {};
var origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
var SERVER = (ds.serverUrl || origin).replace(/\/+$/, '');
var API = (ds.apiUrl || origin).replace(/\/+$/, '');
var KEY = 'dalil:' + SERVER;

function norm(code) {
  code = String(code || '').toLowerCase().split(/[-_]/)[0];
  return LANGS.indexOf(code) >= 0 ? code : '';
}
function newId() {
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
}
function load() {
  try { return JSON.parse(localStorage.getItem(KEY)) || null; } catch (e) { return null; }
}
function save() {
  st.msgs = st.msgs.slice(-MAX_KEPT);
  try { localStorage.setItem(KEY, JSON.stringify(st)); } catch (e) { /* storage off: memory only */ }
}
function fresh(lang, open) {
  return {sid: newId(), lang: lang, open: !!open, msgs: [], outbox: []};
}

var st = load();
if (!st || !st.sid || !Array.isArray(st.msgs) || !Array.isArray(st.outbox)) {
  st = fresh(norm(ds.lang) || norm(navigator.language) || 'en', ds.open === 'true');
}
st.lang = norm(st.lang) || 'en';
function T() { return TEXT[st.lang]; }

// ---- DOM helpers: attributes and text only, never HTML strings ----
function h(tag, attrs, kids) {
  var el = document.createElement(tag);
  for (var k in attrs || {}) if (attrs[k] != null && attrs[k] !== false) el.setAttribute(k, attrs[k]);
  (kids || []).forEach(function (c) { el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return el;
}
function icon(d) {
  var ns = 'http://www.w3.org/2000/svg', svg = document.createElementNS(ns, 'svg'), p = document.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  p.setAttribute('d', d);
  svg.appendChild(p);
  return svg;
}
function dirOf(text) {
  text = String(text || '').replace(URL_RE, '');
  return (text.match(RTL) || []).length > (text.match(LTR) || []).length ? 'rtl' : 'ltr';
}
function guessLang(text) {
  if (dirOf(text) === 'rtl') return 'ar';
  var words = String(text).toLowerCase().replace(URL_RE, '').match(/[a-zà-ÿ']+/g) || [], best = '', top = 1, second = 0;
  LANGS.slice(0, 3).forEach(function (l) {
    var n = words.filter(function (w) { return WORDS[l].indexOf(' ' + w + ' ') >= 0; }).length;
    if (n > top) { second = top; top = n; best = l; } else if (n > second) second = n;
  });
  return top > second ? best : '';
}
// Text with links: [label](url) and bare http(s) URLs become <a>, the rest text nodes.
function rich(el, text) {
  var last = 0;
  text.replace(URL_RE, function (all, label, href, at) {
    var url = href || all.replace(/[.,;:!?)\]]+$/, '');
    el.appendChild(document.createTextNode(text.slice(last, at)));
    el.appendChild(h('a', {href: url, target: '_blank', rel: 'noopener noreferrer nofollow'}, [label || url]));
    last = at + (href ? all.length : url.length);
    return all;
  });
  el.appendChild(document.createTextNode(text.slice(last)));
}

// ---- the interface ----
var root = h('div', {'class': 'dalil'});
var launcher = h('button', {'class': 'dalil-launcher', type: 'button', 'data-testid': 'dalil-launcher',
  'aria-controls': 'dalil-panel', 'aria-expanded': 'false'},
  [icon('M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z')]);
var title = h('h2', {'class': 'dalil-title', id: 'dalil-title'});
var menuBtn = h('button', {'class': 'dalil-icon', type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
  'aria-controls': 'dalil-menu', 'data-testid': 'dalil-menu-button'},
  [icon('M12 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 7a2 2 0 1 0 0-4 2 2 0 0 0 0 4z')]);
var closeBtn = h('button', {'class': 'dalil-icon', type: 'button', 'data-testid': 'dalil-close'},
  [icon('M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z')]);
var langLabel = h('div', {'class': 'dalil-menu-label', id: 'dalil-lang-label'});
var langItems = LANGS.map(function (l) {
  return h('button', {type: 'button', role: 'menuitemradio', lang: l, 'data-lang': l, 'data-testid': 'dalil-language', tabindex: '-1'}, [NAMES[l]]);
});
var eraseBtn = h('button', {type: 'button', role: 'menuitem', 'class': 'dalil-erase', 'data-testid': 'dalil-erase', tabindex: '-1'});
var menu = h('div', {'class': 'dalil-menu', id: 'dalil-menu', role: 'menu', hidden: ''}, [
  langLabel, h('div', {role: 'group', 'aria-labelledby': 'dalil-lang-label'}, langItems),
  h('hr', {role: 'separator'}), eraseBtn]);
var notice = h('p', {'class': 'dalil-notice', role: 'status', 'data-testid': 'dalil-notice', hidden: ''});
var note = h('p', {'class': 'dalil-note', role: 'status', 'data-testid': 'dalil-note', hidden: ''});
var log = h('div', {'class': 'dalil-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
  tabindex: '0', 'data-testid': 'dalil-log'});
var typing = h('div', {'class': 'dalil-typing', 'data-testid': 'dalil-typing', hidden: ''},
  [h('i'), h('i'), h('i'), h('span', {'class': 'dalil-sr'})]);
var replies = h('div', {'class': 'dalil-qr', 'data-testid': 'dalil-quick-replies'});
var input = h('input', {'class': 'dalil-input', type: 'text', 'data-testid': 'dalil-input', autocomplete: 'off',
  enterkeyhint: 'send', maxlength: '2000', dir: 'auto'});
var sendBtn = h('button', {'class': 'dalil-send', type: 'submit', 'data-testid': 'dalil-send'},
  [icon('M3 20.5 21 12 3 3.5V10l12 2-12 2z')]);
var form = h('form', {'class': 'dalil-form'}, [input, sendBtn]);
var panel = h('section', {'class': 'dalil-panel', id: 'dalil-panel', role: 'dialog', 'aria-modal': 'false',
  'aria-labelledby': 'dalil-title', 'data-testid': 'dalil-panel', hidden: ''},
  [h('div', {'class': 'dalil-head'}, [title, menuBtn, closeBtn, menu]), notice, note, log, typing, replies, form]);
root.appendChild(panel);
root.appendChild(launcher);

if (ds.color) root.style.setProperty('--dalil-c', ds.color);
if (ds.textColor) root.style.setProperty('--dalil-ct', ds.textColor);

function applyLang() {
  var t = T(), rtl = st.lang === 'ar' ? 'rtl' : 'ltr';
  [root, panel].forEach(function (el) { el.setAttribute('lang', st.lang); el.setAttribute('dir', rtl); });
  title.textContent = ds.title || t.title;
  launcher.setAttribute('aria-label', t.open);
  menuBtn.setAttribute('aria-label', t.menu);
  closeBtn.setAttribute('aria-label', t.close);
  langLabel.textContent = t.language;
  eraseBtn.textContent = t.erase;
  notice.textContent = t.offline;
  log.setAttribute('aria-label', t.log);
  typing.lastChild.textContent = t.typing;
  input.setAttribute('placeholder', t.placeholder);
  input.setAttribute('aria-label', t.placeholder);
  sendBtn.setAttribute('aria-label', t.send);
  langItems.forEach(function (b) { b.setAttribute('aria-checked', String(b.dataset.lang === st.lang)); });
  [].forEach.call(log.querySelectorAll('[data-pending]'), function (el) { el.setAttribute('data-pending', t.pending); });
}

function msgEl(m) {
  var el = h('div', {'class': 'dalil-msg dalil-' + (m.f === 'u' ? 'user' : 'bot'), 'data-testid': 'dalil-message',
    'data-from': m.f === 'u' ? 'user' : 'bot', 'data-id': m.id, dir: dirOf(m.t), lang: guessLang(m.t) || null});
  if (m.t) rich(el, m.t);
  if (m.img) el.appendChild(h('img', {src: m.img, alt: T().image, loading: 'lazy'}));
  if (m.p) el.setAttribute('data-pending', T().pending);
  return el;
}
// The quick replies of the bot's latest turn, until the user says something.
function renderReplies() {
  var i = st.msgs.length - 1;
  while (i >= 0 && st.msgs[i].f === 'b' && !st.msgs[i].q) i--;
  replies.replaceChildren();
  ((i >= 0 && st.msgs[i].f === 'b' && st.msgs[i].q) || []).forEach(function (q) {
    var b = h('button', {type: 'button', 'data-testid': 'dalil-quick-reply', dir: dirOf(q.t)}, [q.t]);
    b.addEventListener('click', function (e) {
      send(q.p, q.t);
      if (!e.detail) input.focus(); // pressed from the keyboard: keep the focus in the chat
    });
    replies.appendChild(b);
  });
  replies.hidden = !replies.firstChild;
}
function renderAll() {
  log.replaceChildren.apply(log, st.msgs.map(msgEl));
  renderReplies();
  scroll();
}
function scroll() { log.scrollTop = log.scrollHeight; }
function add(m) {
  st.msgs.push(m);
  save();
  log.appendChild(msgEl(m));
  renderReplies();
  scroll();
}
function showNote(text, warn) {
  note.textContent = text;
  note.classList.toggle('dalil-warn', !!warn);
  note.hidden = false;
  clearTimeout(showNote.timer);
  showNote.timer = setTimeout(function () { note.hidden = true; }, 8000);
}

// ---- the conversation over socket.io ----
var socket = null, ready = false, flying = null, offline = false;
var meta = {language_hint: navigator.language || st.lang, channel: 'web'};

function status() {
  notice.hidden = !offline;
  typing.hidden = !(flying && ready);
}
function connect() {
  if (socket) return;
  // A path in the server URL (Rasa behind a proxy at /rasa) is where socket.io lives, not a namespace.
  var url = new URL(SERVER, location.href);
  socket = io(url.origin, {path: ds.socketPath || url.pathname.replace(/\/$/, '') + '/socket.io'});
  socket.on('connect', function () { socket.emit('session_request', {session_id: st.sid}); });
  socket.on('session_confirm', function () { ready = true; offline = false; status(); flush(); });
  socket.on('connect_error', function () { offline = true; status(); });
  socket.on('disconnect', function (reason) {
    ready = false;
    offline = reason !== 'io client disconnect';
    status();
    if (reason === 'io server disconnect') setTimeout(function () { socket.connect(); }, 1000);
  });
  socket.on('bot_uttered', onBot);
}
function delivered(item) {
  item.done = true;
  st.outbox = st.outbox.filter(function (x) { return x.id !== item.id; });
  st.msgs.forEach(function (m) { if (m.id === item.id) delete m.p; });
  var el = log.querySelector('[data-id="' + item.id + '"]');
  if (el) el.removeAttribute('data-pending');
  save();
}
// One message at a time, in order; each stays queued (and in storage) until Rasa acks it
// or answers, so nothing typed offline or before a reload is lost.
function flush() {
  if (!ready || flying || !st.outbox.length) return status();
  var item = flying = st.outbox[0];
  socket.timeout(ACK_MS).emit('user_uttered',
    {message: item.text, session_id: st.sid, metadata: meta, customData: meta}, function (err) {
      if (flying !== item) return;
      flying = null;
      if (!err) delivered(item);
      // Rasa took the message but said nothing (e.g. the action server is down): say so.
      if (!err && !item.answered) showNote(T().noAnswer, true);
      if (!err || ready) setTimeout(flush, err ? 2000 : 0);
      status();
    });
  status();
}
function send(text, shown) {
  var m = {f: 'u', t: shown || text, id: newId(), p: 1};
  st.outbox.push({id: m.id, text: text});
  add(m);
  connect();
  flush();
}
function onBot(d) {
  if (!d || typeof d !== 'object') return;
  if (flying) {
    flying.answered = true;
    if (!flying.done) delivered(flying);
  }
  var m = {f: 'b', t: typeof d.text === 'string' ? d.text : ''};
  var q = d.quick_replies || d.buttons;
  if (Array.isArray(q)) {
    q = q.filter(function (b) { return b && (b.payload || b.title); }).map(function (b) {
      return {t: String(b.title || b.payload), p: String(b.payload || b.title)};
    });
    if (q.length) m.q = q;
  }
  var a = d.attachment, src = a && a.type === 'image' && a.payload ? a.payload.src || a.payload.url : d.image;
  if (typeof src === 'string' && /^https?:\/\//i.test(src)) m.img = src;
  if (!m.t && !m.img && !m.q) return;
  add(m);
  var lang = m.t && guessLang(m.t);
  if (lang && lang !== st.lang) { st.lang = lang; save(); applyLang(); }
}

// ---- actions ----
function open(focus) {
  connect();
  st.open = true;
  save();
  panel.hidden = false;
  root.classList.add('dalil-open');
  launcher.setAttribute('aria-expanded', 'true');
  scroll();
  if (focus !== false) input.focus();
}
function close() {
  closeMenu();
  st.open = false;
  save();
  panel.hidden = true;
  root.classList.remove('dalil-open');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.focus();
}
function setLanguage(lang) {
  lang = norm(lang);
  if (!lang) return;
  st.lang = lang;
  save();
  applyLang();
  send('/choose_language{"language":"' + lang + '"}', NAMES[lang]);
}
function erase() {
  closeMenu(true);
  return fetch(API + '/api/conversations/' + encodeURIComponent(st.sid) + '/erase', {method: 'POST'})
    .then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      st = fresh(st.lang, st.open);
      save();
      renderAll();
      flying = null;
      ready = false;
      if (socket) socket.disconnect().connect();
      status();
      showNote(T().erased);
    })
    .catch(function () { showNote(T().eraseFailed, true); });
}
var items = langItems.concat(eraseBtn);
function openMenu() {
  menu.hidden = false;
  menuBtn.setAttribute('aria-expanded', 'true');
  (langItems.filter(function (b) { return b.dataset.lang === st.lang; })[0] || items[0]).focus();
}
function closeMenu(focus) {
  if (menu.hidden) return;
  menu.hidden = true;
  menuBtn.setAttribute('aria-expanded', 'false');
  if (focus) menuBtn.focus();
}

launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
closeBtn.addEventListener('click', close);
menuBtn.addEventListener('click', function () { if (menu.hidden) openMenu(); else closeMenu(true); });
langItems.forEach(function (b) {
  b.addEventListener('click', function () { closeMenu(); input.focus(); setLanguage(b.dataset.lang); });
});
eraseBtn.addEventListener('click', function () { erase(); input.focus(); });
menu.addEventListener('keydown', function (e) {
  var i = items.indexOf(document.activeElement), n = items.length, to = -1;
  if (e.key === 'ArrowDown') to = (i + 1) % n;
  else if (e.key === 'ArrowUp') to = (i - 1 + n) % n;
  else if (e.key === 'Home') to = 0;
  else if (e.key === 'End') to = n - 1;
  else if (e.key === 'Escape') { e.stopPropagation(); closeMenu(true); }
  else if (e.key === 'Tab') closeMenu();
  if (to >= 0) { e.preventDefault(); items[to].focus(); }
});
panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
document.addEventListener('click', function (e) {
  if (!menu.hidden && !menu.contains(e.target) && !menuBtn.contains(e.target)) closeMenu();
});
form.addEventListener('submit', function (e) {
  e.preventDefault();
  var shown = input.value.trim();
  // A typed "/intent" must not trigger an intent: only buttons send payloads.
  var text = shown.replace(/^[\s/]+/, '');
  if (!text) return;
  input.value = '';
  send(text, shown);
});

function mount() {
  document.body.appendChild(root);
  var style = document.createElement('style');
  style.textContent = CSS;
  document.head.appendChild(style);
  if (!ds.textColor && ds.color) {
    // Pick black or white text on the site's colour, whichever contrasts more.
    var rgb = getComputedStyle(launcher).backgroundColor.match(/\d+(\.\d+)?/g) || [0, 0, 0];
    var lum = rgb.slice(0, 3).reduce(function (s, v, i) {
      v /= 255;
      return s + [0.2126, 0.7152, 0.0722][i] * (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    }, 0);
    root.style.setProperty('--dalil-ct', 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.05 ? '#fff' : '#111');
  }
  applyLang();
  renderAll();
  status();
  if (st.open) open(false);
  else if (st.outbox.length) connect();
}

window.DalilWidget = {
  open: open, close: close, erase: erase, setLanguage: setLanguage,
  send: function (text) { send(String(text).replace(/^[\s/]+/, ''), String(text)); },
  get sessionId() { return st.sid; }
};
if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
