"""The IMAP server: sessions over ``courriel.net`` connections, speaking the pure grammar
of ``courriel.imap.protocol`` and calling ``MailStore`` and the ``AuthService``.

IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with the extensions ``capabilities`` lists.
Module map::

    server        imap_server(services, tls, listener) -> ProtocolServer, for the runtime
    session       the loop: frame, parse, dispatch, reply; STARTTLS, AUTHENTICATE, IDLE,
                  COMPRESS; mailbox updates at the moments RFC 9051 §7.5.1 allows
    dispatch      the command table with the states that allow each command
    state         NotAuthenticated, Authenticated(principal), Selected(principal, view)
    view          the selected mailbox as the session numbers it; Changes -> updates
    any           CAPABILITY, NOOP, LOGOUT, ID, COMPRESS                  (RFC 9051 §6.1)
    nonauth       STARTTLS, AUTHENTICATE, LOGIN                           (RFC 9051 §6.2)
    auth          ENABLE, SELECT/EXAMINE, CREATE ... APPEND, IDLE, QUOTA  (RFC 9051 §6.3)
    selected      CHECK, CLOSE, UNSELECT, EXPUNGE, SEARCH, SORT, THREAD,
                  FETCH, STORE, COPY, MOVE                                (RFC 9051 §6.4)
    listing       LIST / LSUB name matching and attributes                (RFC 5258, 6154)
    ordering      SORT keys and THREAD algorithms                         (RFC 5256, 5957)
    capabilities  the CAPABILITY list
    actions       what a handler asks the session to do beyond replying
    errors        No / Bad / Bye, and the storage error table

Must not: parse or format wire syntax (``courriel.imap.protocol``), touch storage other
than through ``MailStore``, or read configuration other than through ``SessionSettings``.
"""
