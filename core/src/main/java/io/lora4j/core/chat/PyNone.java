package io.lora4j.core.chat;

import com.hubspot.jinjava.util.HasObjectTruthValue;

/**
 * Python's None where a chat message field is null (an assistant turn with only tool calls has content None). A Java
 * null would let {@code ' ' + message['content']} render " null"; this object is false in tests like Python's None,
 * and any use as text fails, as Python's {@code str + None} raises TypeError, so the template rejects the conversation
 * as transformers does.
 */
final class PyNone implements HasObjectTruthValue {
    static final PyNone INSTANCE = new PyNone();

    private PyNone() {}

    @Override
    public boolean getObjectTruthValue() {
        return false;
    }

    @Override
    public String toString() {
        throw new ChatTemplateException("the template uses None (a null message field) as text");
    }
}
