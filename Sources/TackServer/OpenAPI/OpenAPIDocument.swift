/// tackd's API described in OpenAPI 3.1 and served at `/v1/openapi.json`.
///
/// Kept by hand, next to the routes it describes: `OpenAPITests` fails when a registered route, method or path
/// parameter is missing here (or described here but not registered), and schemathesis checks the answers against
/// it in the suite.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "tackd",
  "version": "1",
  "description": "Tack's attachment service. Every error is {\"error\": {\"code\", \"message\"}}; a non-member gets 404 for a room and everything in it."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "bearer": []
  }
 ],
 "paths": {
  "/healthz": {
   "get": {
    "operationId": "health",
    "summary": "Alive",
    "security": [],
    "responses": {
     "200": {
      "description": "tackd answers",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  },
  "/v1/openapi.json": {
   "get": {
    "operationId": "openapi",
    "summary": "This description",
    "security": [],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/v1/me": {
   "get": {
    "operationId": "me",
    "summary": "The caller and their quota",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Me"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   }
  },
  "/v1/rooms": {
   "get": {
    "operationId": "listRooms",
    "summary": "The caller's rooms, newest first",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RoomPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "post": {
    "operationId": "createRoom",
    "summary": "Create a room (clients only)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "name"
        ],
        "properties": {
         "name": {
          "type": "string",
          "minLength": 1,
          "maxLength": 200,
          "pattern": "\\S"
         },
         "members": {
          "type": [
           "array",
           "null"
          ],
          "items": {
           "type": "string"
          }
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Room"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/rooms/{room}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "get": {
    "operationId": "showRoom",
    "summary": "One room",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Room"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "patch": {
    "operationId": "changeRoom",
    "summary": "Set how long the room keeps attachments (its creator)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "retentionDays"
        ],
        "properties": {
         "retentionDays": {
          "type": [
           "integer",
           "null"
          ],
          "minimum": 0,
          "maximum": 36500,
          "description": "Days; 0 keeps everything; null follows the server's retention_days"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The room",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Room"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/rooms/{room}/members": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "post": {
    "operationId": "addMember",
    "summary": "Add a member (the room's creator)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "user"
        ],
        "properties": {
         "user": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Room"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/rooms/{room}/members/{user}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    },
    {
     "$ref": "#/components/parameters/user"
    }
   ],
   "delete": {
    "operationId": "removeMember",
    "summary": "Remove a member; they lose access at once",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Room"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    }
   }
  },
  "/v1/rooms/{room}/attachments": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "get": {
    "operationId": "listAttachments",
    "summary": "A room's attachments, newest first; with q, those that match the search",
    "parameters": [
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     },
     {
      "$ref": "#/components/parameters/q"
     },
     {
      "$ref": "#/components/parameters/tz"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AttachmentPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "post": {
    "operationId": "upload",
    "summary": "Upload a file; the body is the file, streamed",
    "parameters": [
     {
      "name": "name",
      "in": "query",
      "schema": {
       "type": "string",
       "minLength": 1
      },
      "description": "The file's name when no Content-Disposition gives it"
     },
     {
      "name": "Content-Disposition",
      "in": "header",
      "schema": {
       "type": "string"
      },
      "description": "attachment; filename*=UTF-8''…"
     },
     {
      "name": "Content-Digest",
      "in": "header",
      "schema": {
       "type": "string",
       "pattern": "^sha-256=:[A-Za-z0-9+/]{43}=:$"
      },
      "description": "RFC 9530 SHA-256 of the bytes sent; verified"
     },
     {
      "$ref": "#/components/parameters/idempotency"
     },
     {
      "name": "origin",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "upload",
        "screenshot"
       ]
      },
      "description": "screenshot for a screenshot sent by tack shot (type:screenshot finds it); upload by default"
     }
    ],
    "requestBody": {
     "required": false,
     "description": "The file; no body is an empty file",
     "content": {
      "application/octet-stream": {
       "schema": {
        "type": "string",
        "format": "binary"
       }
      },
      "multipart/form-data": {
       "schema": {
        "type": "object",
        "required": [
         "file"
        ],
        "properties": {
         "file": {
          "type": "string",
          "format": "binary"
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Attachment"
        }
       }
      }
     },
     "200": {
      "description": "The earlier upload with this Idempotency-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Attachment"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "429": {
      "$ref": "#/components/responses/RateLimited"
     }
    }
   }
  },
  "/v1/rooms/{room}/messages": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "get": {
    "operationId": "listMessages",
    "summary": "A room's messages with their attachments, newest first",
    "parameters": [
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/MessagePage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "post": {
    "operationId": "postMessage",
    "summary": "Post a message carrying attachments of the room",
    "parameters": [
     {
      "$ref": "#/components/parameters/idempotency"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "text": {
          "type": "string",
          "maxLength": 65536
         },
         "attachments": {
          "type": "array",
          "maxItems": 100,
          "items": {
           "type": "string"
          }
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Posted",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     },
     "200": {
      "description": "The earlier message with this Idempotency-Key",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/rooms/{room}/links": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "post": {
    "operationId": "addLink",
    "summary": "Fetch a linked file (Dropbox, Drive, OneDrive, Box, https) into the room",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "url"
        ],
        "properties": {
         "url": {
          "type": "string"
         },
         "message": {
          "type": "string",
          "maxLength": 65536
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Fetched and stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Attachment"
        }
       }
      }
     },
     "502": {
      "description": "The linked file's server failed or refused (upstream_*)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "504": {
      "description": "The linked file's server was too slow",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "429": {
      "$ref": "#/components/responses/RateLimited"
     }
    }
   }
  },
  "/v1/attachments/{id}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "get": {
    "operationId": "showAttachment",
    "summary": "An attachment",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Attachment"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "delete": {
    "operationId": "deleteAttachment",
    "summary": "Delete (its uploader or the room's creator)",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    }
   }
  },
  "/v1/attachments/{id}/content": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    },
    {
     "$ref": "#/components/parameters/range"
    },
    {
     "$ref": "#/components/parameters/ifNoneMatch"
    },
    {
     "$ref": "#/components/parameters/ifRange"
    }
   ],
   "get": {
    "operationId": "download",
    "summary": "The bytes, with Range, ETag and a sandboxing CSP",
    "responses": {
     "200": {
      "$ref": "#/components/responses/File"
     },
     "206": {
      "$ref": "#/components/responses/FilePart"
     },
     "304": {
      "description": "Not modified"
     },
     "416": {
      "$ref": "#/components/responses/RangeNotSatisfiable"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "head": {
    "operationId": "downloadHead",
    "summary": "The download's headers",
    "responses": {
     "200": {
      "description": "Headers only"
     },
     "206": {
      "description": "Headers only"
     },
     "304": {
      "description": "Not modified"
     },
     "400": {
      "description": "Bad request"
     },
     "401": {
      "description": "Unauthenticated"
     },
     "404": {
      "description": "Not found"
     },
     "416": {
      "description": "Range not satisfiable"
     }
    }
   }
  },
  "/v1/attachments/{id}/thumbnail": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    },
    {
     "name": "size",
     "in": "query",
     "schema": {
      "type": "integer",
      "minimum": 16,
      "maximum": 4096
     },
     "description": "One of thumbnail_sizes (320, 64, 800 by default)"
    },
    {
     "name": "method",
     "in": "query",
     "schema": {
      "type": "string",
      "enum": [
       "scale",
       "crop"
      ]
     }
    },
    {
     "$ref": "#/components/parameters/ifNoneMatch"
    }
   ],
   "get": {
    "operationId": "thumbnail",
    "summary": "A thumbnail (of a PNG or JPEG image, a PDF's first page, a frame of an MP4, MOV, WebM or MKV video, a GIF's or WebP's first frame, a HEIC or AVIF photo's primary image, or an MP3, Ogg, WAV, FLAC or M4A recording's waveform), made once per file, size and method",
    "responses": {
     "200": {
      "description": "JPEG, or PNG when there is transparency",
      "content": {
       "image/jpeg": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       },
       "image/png": {
        "schema": {
         "type": "string",
         "format": "binary"
        }
       }
      }
     },
     "304": {
      "description": "Not modified"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "415": {
      "$ref": "#/components/responses/Unsupported"
     }
    }
   }
  },
  "/v1/attachments/{id}/text": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "get": {
    "operationId": "attachmentText",
    "summary": "The text read out of the file, which search finds it by",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AttachmentText"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   }
  },
  "/v1/attachments/{id}/link": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "post": {
    "operationId": "createSignedLink",
    "summary": "A link that opens the attachment without a token until it expires, or until its maker leaves the room",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "ttl": {
          "type": [
           "integer",
           "null"
          ],
          "minimum": 1,
          "description": "Seconds the link works; an hour by default, at most signed_link_max_seconds (a week by default)"
         },
         "disposition": {
          "type": [
           "string",
           "null"
          ],
          "enum": [
           "inline",
           "attachment",
           null
          ],
          "description": "How a browser opens it; inline only for types safe to show (images, PDF, plain text, audio, video); attachment by default"
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "The link: a path on this server (prefix the server's address) and when it stops working",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "url",
          "expiresAt"
         ],
         "properties": {
          "url": {
           "type": "string"
          },
          "expiresAt": {
           "type": "string",
           "format": "date-time"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/f/{id}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    },
    {
     "name": "e",
     "in": "query",
     "required": true,
     "schema": {
      "type": "integer"
     },
     "description": "When the link expires, in seconds since 1970"
    },
    {
     "name": "d",
     "in": "query",
     "required": true,
     "schema": {
      "type": "string",
      "enum": [
       "i",
       "a"
      ]
     }
    },
    {
     "name": "u",
     "in": "query",
     "required": true,
     "schema": {
      "type": "string"
     },
     "description": "The member who made the link"
    },
    {
     "name": "k",
     "in": "query",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "s",
     "in": "query",
     "required": true,
     "schema": {
      "type": "string"
     },
     "description": "HMAC-SHA256 of the link, base64url"
    },
    {
     "name": "thumbnail",
     "in": "query",
     "schema": {
      "type": "integer",
      "minimum": 16,
      "maximum": 4096
     },
     "description": "The thumbnail of this size instead of the file"
    },
    {
     "$ref": "#/components/parameters/range"
    },
    {
     "$ref": "#/components/parameters/ifNoneMatch"
    },
    {
     "$ref": "#/components/parameters/ifRange"
    }
   ],
   "get": {
    "operationId": "openSignedLink",
    "summary": "The attachment (or its thumbnail) through a signed link, without a token; every failure is the same 404",
    "security": [],
    "responses": {
     "200": {
      "$ref": "#/components/responses/File"
     },
     "206": {
      "$ref": "#/components/responses/FilePart"
     },
     "304": {
      "description": "Not modified"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "415": {
      "$ref": "#/components/responses/Unsupported"
     },
     "416": {
      "$ref": "#/components/responses/RangeNotSatisfiable"
     }
    }
   },
   "head": {
    "operationId": "openSignedLinkHead",
    "summary": "The signed link's headers",
    "security": [],
    "responses": {
     "200": {
      "description": "Headers only"
     },
     "206": {
      "description": "Headers only"
     },
     "304": {
      "description": "Not modified"
     },
     "400": {
      "description": "Bad request"
     },
     "404": {
      "description": "Not found"
     },
     "416": {
      "description": "Range not satisfiable"
     }
    }
   }
  },
  "/v1/attachments/{id}/refresh": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "post": {
    "operationId": "refreshLink",
    "summary": "Fetch a linked file again; a change is a new version",
    "responses": {
     "200": {
      "description": "Unchanged",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Refreshed"
        }
       }
      }
     },
     "201": {
      "description": "Changed: a new version",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Refreshed"
        }
       }
      }
     },
     "502": {
      "description": "The linked file's server failed or refused",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "504": {
      "description": "The linked file's server was too slow",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "429": {
      "$ref": "#/components/responses/RateLimited"
     }
    }
   }
  },
  "/v1/attachments": {
   "get": {
    "operationId": "searchAttachments",
    "summary": "Attachments in every room the caller is a member of, newest first; with q, those that match the search",
    "parameters": [
     {
      "$ref": "#/components/parameters/q"
     },
     {
      "$ref": "#/components/parameters/tz"
     },
     {
      "$ref": "#/components/parameters/limit"
     },
     {
      "$ref": "#/components/parameters/cursor"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AttachmentPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   }
  },
  "/v1/rooms/{room}/attachments/summary": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "get": {
    "operationId": "summarizeAttachments",
    "summary": "How many of a room's attachments match the search, and their bytes, by type",
    "parameters": [
     {
      "$ref": "#/components/parameters/q"
     },
     {
      "$ref": "#/components/parameters/tz"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AttachmentSummary"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   }
  },
  "/v1/rooms/{room}/events": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "get": {
    "operationId": "roomEvents",
    "summary": "What happens in the room, live, as Server-Sent Events",
    "description": "Each event has an id and one of the kinds attachment.created, attachment.thumbnailed, attachment.text, attachment.deleted, message.created, member.added, member.removed, with JSON data (an EventData); reset when events since Last-Event-ID are no longer kept. Comments keep an idle stream open. The stream closes when the caller leaves the room or their token is revoked.",
    "parameters": [
     {
      "name": "Last-Event-ID",
      "in": "header",
      "schema": {
       "type": "string",
       "pattern": "^[0-9]+$"
      },
      "description": "The id of the last event received: the stream starts after it"
     }
    ],
    "responses": {
     "200": {
      "description": "The stream",
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   }
  },
  "/session": {
   "post": {
    "operationId": "signIn",
    "summary": "Sign a browser in: sets the HttpOnly, SameSite=Strict session cookie every /v1 route accepts",
    "description": "The gallery's form posts application/x-www-form-urlencoded (token, next) and is answered with a 303; a script posts JSON. A cookie-authenticated POST or DELETE must carry a same-origin Origin header (403 csrf otherwise).",
    "security": [],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "token"
        ],
        "properties": {
         "token": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Signed in",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "name"
         ],
         "properties": {
          "name": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    }
   },
   "delete": {
    "operationId": "signOut",
    "summary": "Sign a browser out (needs a same-origin Origin header)",
    "security": [],
    "responses": {
     "204": {
      "description": "Signed out: the cookie is cleared"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    }
   }
  },
  "/v1/rooms/{room}/uploads": {
   "parameters": [
    {
     "$ref": "#/components/parameters/room"
    }
   ],
   "post": {
    "operationId": "createResumableUpload",
    "summary": "Start a resumable upload (tus 1.0.0 creation, creation-with-upload, creation-defer-length)",
    "description": "Upload-Metadata takes filename, filetype, message (text of a message that carries the attachment) and origin (upload or screenshot), each base64. The size limit and the quota are checked here and again as bytes arrive.",
    "parameters": [
     {
      "$ref": "#/components/parameters/tusResumable"
     },
     {
      "$ref": "#/components/parameters/uploadLength"
     },
     {
      "name": "Upload-Defer-Length",
      "in": "header",
      "schema": {
       "type": "string",
       "enum": [
        "1"
       ]
      },
      "description": "1: the length comes with a later PATCH"
     },
     {
      "name": "Upload-Metadata",
      "in": "header",
      "schema": {
       "type": "string"
      },
      "description": "Comma-separated 'key base64value' pairs"
     },
     {
      "$ref": "#/components/parameters/uploadChecksum"
     },
     {
      "$ref": "#/components/parameters/idempotency"
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/offset+octet-stream": {
       "schema": {
        "type": "string",
        "format": "binary"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created: Location is the upload's URL",
      "headers": {
       "Location": {
        "description": "/v1/uploads/{id}",
        "schema": {
         "type": "string"
        }
       },
       "Tus-Resumable": {
        "description": "1.0.0",
        "schema": {
         "type": "string"
        }
       },
       "Upload-Offset": {
        "description": "Bytes received, synced and acknowledged",
        "schema": {
         "type": "string",
         "pattern": "^[0-9]+$"
        }
       },
       "Upload-Expires": {
        "description": "When the upload is deleted unless more bytes arrive (an HTTP date); absent once complete",
        "schema": {
         "type": "string"
        }
       },
       "Tack-Attachment": {
        "description": "The attachment the upload became, once its last byte arrived",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/Unsupported"
     },
     "429": {
      "$ref": "#/components/responses/RateLimited"
     }
    }
   },
   "options": {
    "operationId": "describeResumableUploads",
    "summary": "What this server speaks of tus (no token needed)",
    "security": [],
    "responses": {
     "204": {
      "description": "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm",
      "headers": {
       "Tus-Version": {
        "description": "1.0.0",
        "schema": {
         "type": "string"
        }
       },
       "Tus-Extension": {
        "description": "The extensions",
        "schema": {
         "type": "string"
        }
       },
       "Tus-Max-Size": {
        "description": "The largest upload in bytes",
        "schema": {
         "type": "string",
         "pattern": "^[0-9]+$"
        }
       },
       "Tus-Checksum-Algorithm": {
        "description": "sha1,sha256",
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  },
  "/v1/uploads/{id}": {
   "parameters": [
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     },
     "description": "An upload id (upl_…) from the creation's Location"
    }
   ],
   "get": {
    "operationId": "showResumableUpload",
    "summary": "Where a resumable upload stands, and the attachment it became",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "id",
          "offset",
          "expiresAt"
         ],
         "properties": {
          "id": {
           "type": "string"
          },
          "offset": {
           "type": "integer"
          },
          "length": {
           "type": [
            "integer",
            "null"
           ]
          },
          "attachment": {
           "type": [
            "string",
            "null"
           ]
          },
          "expiresAt": {
           "type": "string",
           "format": "date-time"
          },
          "receivedSha256": {
           "type": [
            "string",
            "null"
           ],
           "description": "Once complete: the SHA-256 of the bytes as sent (the attachment's may differ when metadata was removed)"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     }
    }
   },
   "head": {
    "operationId": "resumableUploadOffset",
    "summary": "The upload's offset, length (or Upload-Defer-Length: 1) and metadata (tus core)",
    "parameters": [
     {
      "$ref": "#/components/parameters/tusResumable"
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "headers": {
       "Tus-Resumable": {
        "description": "1.0.0",
        "schema": {
         "type": "string"
        }
       },
       "Upload-Offset": {
        "description": "Bytes received, synced and acknowledged",
        "schema": {
         "type": "string",
         "pattern": "^[0-9]+$"
        }
       },
       "Upload-Expires": {
        "description": "When the upload is deleted unless more bytes arrive (an HTTP date); absent once complete",
        "schema": {
         "type": "string"
        }
       },
       "Tack-Attachment": {
        "description": "The attachment the upload became, once its last byte arrived",
        "schema": {
         "type": "string"
        }
       },
       "Upload-Length": {
        "description": "The upload's size, once known",
        "schema": {
         "type": "string",
         "pattern": "^[0-9]+$"
        }
       },
       "Upload-Defer-Length": {
        "description": "1 while the length is not known",
        "schema": {
         "type": "string"
        }
       },
       "Upload-Metadata": {
        "description": "As sent at creation",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     }
    }
   },
   "patch": {
    "operationId": "appendToResumableUpload",
    "summary": "Send bytes from Upload-Offset; answered once they are synced (tus core, checksum)",
    "parameters": [
     {
      "$ref": "#/components/parameters/tusResumable"
     },
     {
      "name": "Upload-Offset",
      "in": "header",
      "required": true,
      "schema": {
       "type": "string",
       "pattern": "^[0-9]{1,19}$"
      },
      "description": "Where these bytes go: the offset HEAD gives"
     },
     {
      "$ref": "#/components/parameters/uploadLength"
     },
     {
      "$ref": "#/components/parameters/uploadChecksum"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/offset+octet-stream": {
       "schema": {
        "type": "string",
        "format": "binary"
       }
      }
     }
    },
    "responses": {
     "204": {
      "description": "Received",
      "headers": {
       "Tus-Resumable": {
        "description": "1.0.0",
        "schema": {
         "type": "string"
        }
       },
       "Upload-Offset": {
        "description": "Bytes received, synced and acknowledged",
        "schema": {
         "type": "string",
         "pattern": "^[0-9]+$"
        }
       },
       "Upload-Expires": {
        "description": "When the upload is deleted unless more bytes arrive (an HTTP date); absent once complete",
        "schema": {
         "type": "string"
        }
       },
       "Tack-Attachment": {
        "description": "The attachment the upload became, once its last byte arrived",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/Unsupported"
     },
     "460": {
      "$ref": "#/components/responses/ChecksumMismatch"
     }
    }
   },
   "delete": {
    "operationId": "terminateResumableUpload",
    "summary": "Delete the upload and its bytes (tus termination); an attachment it made stays",
    "parameters": [
     {
      "$ref": "#/components/parameters/tusResumable"
     }
    ],
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthenticated"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "412": {
      "$ref": "#/components/responses/PreconditionFailed"
     }
    }
   },
   "options": {
    "operationId": "describeResumableUpload",
    "summary": "What this server speaks of tus (no token needed)",
    "security": [],
    "responses": {
     "204": {
      "description": "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm"
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string",
        "description": "Stable machine code, e.g. too_large, quota_exceeded"
       },
       "message": {
        "type": "string",
        "description": "What happened and how to fix it"
       },
       "position": {
        "type": "integer",
        "minimum": 0,
        "description": "For bad_query: where in the search the problem is, in Unicode scalars from 0"
       }
      }
     }
    }
   },
   "Room": {
    "type": "object",
    "required": [
     "id",
     "name",
     "creator",
     "members",
     "createdAt",
     "retentionDays"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "creator": {
      "type": "string"
     },
     "members": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "retentionDays": {
      "type": [
       "integer",
       "null"
      ],
      "description": "Days the room keeps attachments (0: forever); null follows the server's retention_days"
     }
    }
   },
   "Attachment": {
    "type": "object",
    "required": [
     "id",
     "room",
     "name",
     "size",
     "contentType",
     "sha256",
     "uploader",
     "createdAt",
     "kind",
     "thumbnail",
     "text",
     "metadataStripped",
     "types"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "room": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "size": {
      "type": "integer",
      "minimum": 0
     },
     "contentType": {
      "type": "string"
     },
     "sha256": {
      "type": "string",
      "pattern": "^[0-9a-f]{64}$"
     },
     "uploader": {
      "type": "string"
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "kind": {
      "type": "string",
      "enum": [
       "upload",
       "link"
      ]
     },
     "source": {
      "type": "object",
      "required": [
       "provider",
       "url",
       "fetchedAt"
      ],
      "properties": {
       "provider": {
        "type": "string"
       },
       "url": {
        "type": "string"
       },
       "fetchedAt": {
        "type": "string",
        "format": "date-time"
       },
       "etag": {
        "type": "string"
       }
      }
     },
     "versionOf": {
      "type": "string"
     },
     "width": {
      "type": "integer"
     },
     "height": {
      "type": "integer"
     },
     "pages": {
      "type": "integer",
      "minimum": 0,
      "description": "A PDF's pages"
     },
     "durationMs": {
      "type": "integer",
      "minimum": 0,
      "description": "A video's or a recording's length in milliseconds"
     },
     "codec": {
      "type": "string",
      "description": "A video's (or else a recording's) codec, as ffmpeg names it: h264, vp9, mp3, flac"
     },
     "thumbnail": {
      "type": "object",
      "required": [
       "state"
      ],
      "properties": {
       "state": {
        "type": "string",
        "enum": [
         "none",
         "pending",
         "ready",
         "failed"
        ]
       },
       "reason": {
        "type": "string"
       }
      }
     },
     "text": {
      "type": "object",
      "required": [
       "state"
      ],
      "properties": {
       "state": {
        "type": "string",
        "enum": [
         "none",
         "pending",
         "done",
         "failed"
        ],
        "description": "none: a file with no text tackd reads (plain text, Markdown, CSV, JSON, XML and source code are read)"
       },
       "characters": {
        "type": "integer",
        "minimum": 0
       },
       "truncated": {
        "type": "boolean",
        "description": "The file held more text than max_extract_bytes kept"
       },
       "reason": {
        "type": "string"
       }
      }
     },
     "metadataStripped": {
      "type": "boolean"
     },
     "receivedSha256": {
      "type": "string",
      "pattern": "^[0-9a-f]{64}$",
      "description": "Only in an upload's answer: SHA-256 of the bytes as received"
     },
     "snippet": {
      "type": "object",
      "description": "Only in search results found by the file's text: the passage the search matched (whitespace made single spaces, … where cut) and where the matched words are in it",
      "required": [
       "text",
       "highlights"
      ],
      "properties": {
       "text": {
        "type": "string"
       },
       "highlights": {
        "type": "array",
        "items": {
         "type": "object",
         "required": [
          "start",
          "length"
         ],
         "properties": {
          "start": {
           "type": "integer",
           "minimum": 0,
           "description": "Offset in UTF-16 code units, as a browser indexes a string"
          },
          "length": {
           "type": "integer",
           "minimum": 0
          }
         }
        }
       }
      }
     },
     "types": {
      "type": "array",
      "items": {
       "type": "string",
       "enum": [
        "image",
        "video",
        "audio",
        "document",
        "archive",
        "link",
        "screenshot",
        "other"
       ]
      },
      "description": "What type: finds it as: its media type, plus link or screenshot"
     }
    }
   },
   "Message": {
    "type": "object",
    "required": [
     "id",
     "room",
     "author",
     "text",
     "attachments",
     "createdAt",
     "removed"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "room": {
      "type": "string"
     },
     "author": {
      "type": "string"
     },
     "text": {
      "type": "string"
     },
     "attachments": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Attachment"
      }
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "removed": {
      "type": "array",
      "description": "Attachments the message carried that are gone: deleted by a person, or past the room's retention",
      "items": {
       "type": "object",
       "required": [
        "id",
        "name",
        "reason",
        "removedAt"
       ],
       "properties": {
        "id": {
         "type": "string"
        },
        "name": {
         "type": "string"
        },
        "reason": {
         "type": "string",
         "enum": [
          "deleted",
          "retention"
         ]
        },
        "removedAt": {
         "type": "string",
         "format": "date-time"
        }
       }
      }
     }
    }
   },
   "RoomPage": {
    "type": "object",
    "required": [
     "items",
     "next"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Room"
      }
     },
     "next": {
      "type": [
       "string",
       "null"
      ],
      "description": "Cursor of the next page; null on the last"
     }
    }
   },
   "AttachmentPage": {
    "type": "object",
    "required": [
     "items",
     "next"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Attachment"
      }
     },
     "next": {
      "type": [
       "string",
       "null"
      ],
      "description": "Cursor of the next page; null on the last"
     }
    }
   },
   "MessagePage": {
    "type": "object",
    "required": [
     "items",
     "next"
    ],
    "properties": {
     "items": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Message"
      }
     },
     "next": {
      "type": [
       "string",
       "null"
      ],
      "description": "Cursor of the next page; null on the last"
     }
    }
   },
   "Me": {
    "type": "object",
    "required": [
     "name",
     "role",
     "usedBytes",
     "quotaBytes"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "role": {
      "type": "string",
      "enum": [
       "client",
       "freelancer"
      ]
     },
     "usedBytes": {
      "type": "integer",
      "minimum": 0
     },
     "quotaBytes": {
      "type": "integer",
      "minimum": 0
     }
    }
   },
   "Refreshed": {
    "type": "object",
    "required": [
     "changed",
     "attachment"
    ],
    "properties": {
     "changed": {
      "type": "boolean"
     },
     "attachment": {
      "$ref": "#/components/schemas/Attachment"
     }
    }
   },
   "AttachmentSummary": {
    "type": "object",
    "required": [
     "total",
     "types"
    ],
    "properties": {
     "total": {
      "type": "object",
      "required": [
       "count",
       "bytes"
      ],
      "properties": {
       "count": {
        "type": "integer",
        "minimum": 0
       },
       "bytes": {
        "type": "integer",
        "minimum": 0
       }
      }
     },
     "types": {
      "type": "object",
      "description": "Every type; link and screenshot overlap the media types (a screenshot is an image too)",
      "required": [
       "image",
       "video",
       "audio",
       "document",
       "archive",
       "link",
       "screenshot",
       "other"
      ],
      "properties": {
       "image": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "video": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "audio": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "document": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "archive": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "link": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "screenshot": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       },
       "other": {
        "type": "object",
        "required": [
         "count",
         "bytes"
        ],
        "properties": {
         "count": {
          "type": "integer",
          "minimum": 0
         },
         "bytes": {
          "type": "integer",
          "minimum": 0
         }
        }
       }
      },
      "additionalProperties": false
     }
    }
   },
   "EventData": {
    "type": "object",
    "required": [
     "room",
     "at"
    ],
    "properties": {
     "room": {
      "type": "string"
     },
     "at": {
      "type": "string",
      "format": "date-time"
     },
     "attachmentId": {
      "type": "string"
     },
     "attachment": {
      "$ref": "#/components/schemas/Attachment"
     },
     "messageId": {
      "type": "string"
     },
     "message": {
      "$ref": "#/components/schemas/Message"
     },
     "user": {
      "type": "string"
     }
    }
   },
   "AttachmentText": {
    "type": "object",
    "required": [
     "attachment",
     "state"
    ],
    "properties": {
     "attachment": {
      "type": "string"
     },
     "state": {
      "type": "string",
      "enum": [
       "none",
       "pending",
       "done",
       "failed"
      ],
      "description": "none: a file with no text tackd reads (plain text, Markdown, CSV, JSON, XML and source code are read)"
     },
     "characters": {
      "type": "integer",
      "minimum": 0
     },
     "truncated": {
      "type": "boolean"
     },
     "reason": {
      "type": "string"
     },
     "text": {
      "type": "string",
      "description": "What search reads in the file: its first max_extract_bytes bytes of text"
     }
    }
   }
  },
  "parameters": {
   "room": {
    "name": "room",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    },
    "description": "A room id"
   },
   "id": {
    "name": "id",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    },
    "description": "An attachment id"
   },
   "user": {
    "name": "user",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    }
   },
   "limit": {
    "name": "limit",
    "in": "query",
    "schema": {
     "type": "integer",
     "minimum": 1,
     "maximum": 200
    },
    "description": "Items per page (default 50; the most is max_page_size)"
   },
   "cursor": {
    "name": "cursor",
    "in": "query",
    "schema": {
     "type": "string",
     "pattern": "^[0-9]+$"
    },
    "description": "The `next` of the previous page"
   },
   "idempotency": {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {
     "type": "string",
     "pattern": "^[\\x21-\\x7e]{1,128}$"
    },
    "description": "A retry with the same key returns what the first try made (200) instead of doing it again"
   },
   "q": {
    "name": "q",
    "in": "query",
    "schema": {
     "type": "string",
     "maxLength": 1024
    },
    "description": "A search in the platform's syntax: from:bob, from:\"Bob Jones\", in:\"Room for Project A\", before:20150501 and after:20150601 (inclusive days), words and \"quoted phrases\" (in names and message text), type:image|video|audio|document|archive|link|screenshot, name:, ext:pdf, larger:10MB, smaller:500KB; -term excludes. A query that cannot be read is 400 bad_query with the position of the problem."
   },
   "tz": {
    "name": "tz",
    "in": "query",
    "schema": {
     "type": "string"
    },
    "description": "The time zone before: and after: days are in (an IANA name like Europe/Berlin); UTC when absent"
   },
   "range": {
    "name": "Range",
    "in": "header",
    "schema": {
     "type": "string"
    },
    "description": "One range, RFC 9110"
   },
   "ifNoneMatch": {
    "name": "If-None-Match",
    "in": "header",
    "schema": {
     "type": "string"
    }
   },
   "ifRange": {
    "name": "If-Range",
    "in": "header",
    "schema": {
     "type": "string"
    }
   },
   "tusResumable": {
    "name": "Tus-Resumable",
    "in": "header",
    "required": true,
    "schema": {
     "type": "string",
     "enum": [
      "1.0.0"
     ]
    },
    "description": "The tus protocol version; only 1.0.0"
   },
   "uploadLength": {
    "name": "Upload-Length",
    "in": "header",
    "schema": {
     "type": "string",
     "pattern": "^[0-9]{1,19}$"
    },
    "description": "The upload's size in bytes; at creation, or in a PATCH of an upload whose creation deferred it"
   },
   "uploadChecksum": {
    "name": "Upload-Checksum",
    "in": "header",
    "schema": {
     "type": "string",
     "pattern": "^(sha1|sha256) [A-Za-z0-9+/=]+$"
    },
    "description": "sha1 or sha256 of this request's bytes, base64; a mismatch is 460 and the bytes are dropped"
   }
  },
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "A token from `tackd user add` or `tackd token new`"
   }
  },
  "responses": {
   "BadRequest": {
    "description": "The request is malformed: the code says what (invalid_json, invalid_name, invalid_limit, …)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unauthenticated": {
    "description": "No valid token",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "NotFound": {
    "description": "No such thing, or not one the caller may see",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Forbidden": {
    "description": "Not allowed for this caller",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Conflict": {
    "description": "A conflict: an Idempotency-Key reused for something else; for tus, an Upload-Offset that is not where the upload stands, or another PATCH to it still running",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "TooLarge": {
    "description": "Over a size limit or the caller's quota (too_large, quota_exceeded)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "RateLimited": {
    "description": "Too many in a short time",
    "headers": {
     "Retry-After": {
      "schema": {
       "type": "integer"
      }
     }
    },
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unsupported": {
    "description": "Not a file tackd can thumbnail (PNG, JPEG, GIF, WebP, HEIC, AVIF, PDF, video, recording)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "File": {
    "description": "The file",
    "content": {
     "*/*": {
      "schema": {
       "type": "string",
       "format": "binary"
      }
     }
    }
   },
   "FilePart": {
    "description": "The requested range",
    "content": {
     "*/*": {
      "schema": {
       "type": "string",
       "format": "binary"
      }
     }
    }
   },
   "RangeNotSatisfiable": {
    "description": "The range is outside the file",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "PreconditionFailed": {
    "description": "Tus-Resumable is missing or names a version other than 1.0.0 (Tus-Version says which)",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "ChecksumMismatch": {
    "description": "tus: the chunk does not match its Upload-Checksum; it was dropped",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  }
 }
}
"""#
}
