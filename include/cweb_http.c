/*
 * Plugin side of include/http.h: the texts of the method and status
 * enums, indexed by the enum values of cweb.h (compiled into every plugin
 * through cweb_entry.c).
 */


const char  *http_methods[] = {
    [HTTP_GET]     = "GET",
    [HTTP_POST]    = "POST",
    [HTTP_PUT]     = "PUT",
    [HTTP_DELETE]  = "DELETE",
    [HTTP_OPTIONS] = "OPTIONS",
    [HTTP_HEAD]    = "HEAD",
    [HTTP_PATCH]   = "PATCH"
};


const char  *http_errors[] = {
    [HTTP_000_UNKNOWN]                = "400 Bad Request",
    [HTTP_101_SWITCHING_PROTOCOLS]    = "101 Switching Protocols",
    [HTTP_200_OK]                     = "200 OK",
    [HTTP_201_CREATED]                = "201 Created",
    [HTTP_202_ACCEPTED]               = "202 Accepted",
    [HTTP_204_NO_CONTENT]             = "204 No Content",
    [HTTP_301_MOVED_PERMANENTLY]      = "301 Moved Permanently",
    [HTTP_302_FOUND]                  = "302 Found",
    [HTTP_303_SEE_OTHER]              = "303 See Other",
    [HTTP_304_NOT_MODIFIED]           = "304 Not Modified",
    [HTTP_307_TEMPORARY_REDIRECT]     = "307 Temporary Redirect",
    [HTTP_400_BAD_REQUEST]            = "400 Bad Request",
    [HTTP_401_UNAUTHORIZED]           = "401 Unauthorized",
    [HTTP_403_FORBIDDEN]              = "403 Forbidden",
    [HTTP_404_NOT_FOUND]              = "404 Not Found",
    [HTTP_405_METHOD_NOT_ALLOWED]     = "405 Method Not Allowed",
    [HTTP_409_CONFLICT]               = "409 Conflict",
    [HTTP_413_PAYLOAD_TOO_LARGE]      = "413 Payload Too Large",
    [HTTP_414_URI_TOO_LONG]           = "414 URI Too Long",
    [HTTP_415_UNSUPPORTED_MEDIA_TYPE] = "415 Unsupported Media Type",
    [HTTP_422_UNPROCESSABLE_ENTITY]   = "422 Unprocessable Entity",
    [HTTP_426_UPGRADE_REQUIRED]       = "426 Upgrade Required",
    [HTTP_429_TOO_MANY_REQUESTS]      = "429 Too Many Requests",
    [HTTP_500_INTERNAL_SERVER_ERROR]  = "500 Internal Server Error",
    [HTTP_501_NOT_IMPLEMENTED]        = "501 Not Implemented",
    [HTTP_502_BAD_GATEWAY]            = "502 Bad Gateway",
    [HTTP_503_SERVICE_UNAVAILABLE]    = "503 Service Unavailable",
    [HTTP_504_GATEWAY_TIMEOUT]        = "504 Gateway Timeout"
};
