-- Why a message was withdrawn while a dispatcher held it (its journey cancelled or timed out, its contact opted out,
-- its template paused, as that attempt was being made): if the attempt does not hand it to its provider (a passing
-- failure, a put-back at its sender's pace, a crash), it is withdrawn then, with this reason, instead of being tried
-- again after the reason to withdraw it came (Messages.withdraw).
ALTER TABLE messages ADD COLUMN withdrawal_pending VARCHAR(1000);
