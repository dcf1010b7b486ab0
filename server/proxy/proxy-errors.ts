// placeholder: owned by the proxy helper
export class ProxyError extends Error { code = 'UNKNOWN'; status = 502 }
