package io.reach.sender;

import java.util.List;

/**
 * What names a sender and keeps it from being deleted: a feature that names senders (flows) says which of its own
 * use one, so that the sender feature need not read its tables.
 */
public interface SenderUsers {

    /** Those that name the sender, each named for a person to find it ("flow order-ready version 2"); none if none. */
    List<String> naming(Sender sender);
}
