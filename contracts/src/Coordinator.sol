// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "./interfaces/ICoordinator.sol";
import {QModelVerifier} from "./verify/QModelVerifier.sol";

/// @title Coordinator: model registry, paid inference requests, bounded callbacks
/// @notice Consumers pay for a request on a registered model; the model's operator serves it
/// off chain and fulfils it here; the coordinator calls the consumer back with exactly the gas
/// it asked for. One storage slot per request holds a commitment (docs/coordinator.md); a
/// fulfilment clears it unless the model has a challenge window.
/// @dev Checks-effects-interactions throughout: a request's slot is marked fulfilled or
/// cancelled, and balances are credited, before any external call. The only external calls
/// are the consumer callback (exact gas, no returndata copied, failure recorded) and ETH
/// transfers to the caller of {request} (excess refund) and {withdraw}.
contract Coordinator is ICoordinator {
    /// @notice Largest callback gas a request may ask for.
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;
    /// @notice Largest input (bytes) a request may carry: abi.encode(int256[]) of 4096
    /// values, the largest model input (docs/encoding.md).
    uint256 public constant MAX_INPUT_BYTES = 131_136;
    /// @notice Largest output (bytes) a fulfilment may carry (same bound).
    uint256 public constant MAX_OUTPUT_BYTES = 131_136;
    /// @notice Largest model fee in wei (fees are stored as uint88).
    uint256 public constant MAX_FEE = type(uint88).max;
    /// @notice Largest callback gas price in wei per gas.
    uint256 public constant MAX_CALLBACK_GAS_PRICE = type(uint128).max;
    /// @notice Bit of a request's callbackGasLimit asking for the callback only once the
    /// result is final ({deliver}); the gas the callback receives is the limit without it.
    uint32 public constant FINAL_ONLY = uint32(1) << 31;

    /// @dev Gas kept back for the work between the 63/64 check and the CALL opcode (cold
    /// EXTCODESIZE 2600, CALL 100, stack and memory); as Chainlink's callWithExactGas.
    uint256 private constant GAS_FOR_CALL_EXACT_CHECK = 5_000;

    // Request slot layout (docs/coordinator.md): the top byte is the state.
    uint256 private constant STATE_SHIFT = 248;
    uint256 private constant STATE_PENDING = 1;
    uint256 private constant STATE_FULFILLED = 2;
    uint256 private constant STATE_CANCELLED = 3;
    uint256 private constant LOW_248 = (uint256(1) << 248) - 1;
    // Fulfilled: state(8) | callbackSuccess(8) | fulfilledAt(40) | resultHash(200)
    uint256 private constant CALLBACK_OK_BIT = uint256(1) << 240;
    /// @dev Set in a Fulfilled slot whose result was replaced by a challenge (final at once).
    uint256 private constant CORRECTED_BIT = uint256(1) << 241;
    /// @dev Set in a Fulfilled slot of a final-only request once it was called back.
    uint256 private constant DELIVERED_BIT = uint256(1) << 242;
    uint256 private constant TIME_SHIFT = 200;
    uint256 private constant LOW_200 = (uint256(1) << 200) - 1;

    /// @notice Seconds from a request until its requester may cancel it.
    uint64 public immutable requestTimeout;

    uint256 public modelCount;

    /// @dev A model as stored (the ABI view is {ICoordinator.Model}). Slot 0 holds all that
    /// {request} and {quote} read, slot 1 all that {fulfill} reads, so that each reads one
    /// cold slot of the model.
    struct ModelData {
        // slot 0
        uint88 fee;
        uint128 callbackGasPrice;
        bool active;
        // slot 1
        address operator;
        /// @dev "barred, unbonding, or bond below minBond" (docs/verification.md)
        bool blocked;
        /// @dev challengeWindow != 0: fulfilled results keep their commitment
        bool windowed;
        /// @dev payments of fulfilled requests not yet moved to the operator's balance ({collect})
        uint80 earned;
        // slots 2..4
        bytes32 modelHash;
        uint32 inputSize;
        uint32 outputSize;
        uint64 challengeWindow;
        uint128 minBond;
        string uri;
    }

    // Slot 1 of ModelData, read as one word: operator | blocked << 160 | windowed << 168 |
    // earned << 176.
    uint256 private constant BLOCKED_BIT = uint256(1) << 160;
    uint256 private constant WINDOWED_BIT = uint256(1) << 168;
    uint256 private constant EARNED_SHIFT = 176;
    uint256 private constant LOW_176 = (uint256(1) << 176) - 1;

    mapping(uint256 modelId => ModelData) private _models;
    mapping(uint256 requestId => uint256) private _slots;
    mapping(address account => uint256) private _balances;

    /// @dev Per model: the operator's bond (docs/verification.md).
    struct Bond {
        uint128 amount;
        uint64 unbondingAt;
        bool barred;
    }

    mapping(uint256 modelId => Bond) private _bonds;

    /// @notice The qmodel runtime challenges re-execute on (docs/qmodel.md).
    QModelVerifier public immutable verifier;

    /// @param requestTimeout_ seconds after a request before its requester may cancel it
    constructor(uint64 requestTimeout_) {
        requestTimeout = requestTimeout_;
        verifier = new QModelVerifier();
    }

    // ------------------------------------------------------------------ model registry

    /// @notice Registers a model served by msg.sender.
    /// @param modelHash keccak256 of the qmodel file (docs/qmodel.md); must be non-zero
    /// @param uri where the file can be fetched
    /// @param fee wei per request, on top of callback gas (see {quote})
    /// @param inputSize number of input values the model takes
    /// @param outputSize number of output values it returns
    /// @return modelId the new model's id (1, 2, ...)
    function registerModel(bytes32 modelHash, string calldata uri, uint256 fee, uint32 inputSize, uint32 outputSize)
        external
        returns (uint256 modelId)
    {
        if (modelHash == bytes32(0)) revert InvalidModelHash();
        if (fee > MAX_FEE) revert FeeTooHigh(fee);
        if (inputSize == 0 || outputSize == 0) revert InvalidSize();
        modelId = ++modelCount;
        ModelData storage m = _models[modelId];
        m.operator = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast) -- fee <= MAX_FEE checked above
        m.fee = uint88(fee);
        m.active = true;
        m.modelHash = modelHash;
        m.inputSize = inputSize;
        m.outputSize = outputSize;
        m.uri = uri;
        emit ModelRegistered(modelId, msg.sender, modelHash, uri, fee, inputSize, outputSize);
    }

    /// @notice Changes a model's fee; requests already made keep the price they paid.
    function setModelFee(uint256 modelId, uint256 fee) external {
        ModelData storage m = _operatorModel(modelId);
        if (fee > MAX_FEE) revert FeeTooHigh(fee);
        // forge-lint: disable-next-line(unsafe-typecast) -- fee <= MAX_FEE checked above
        m.fee = uint88(fee);
        emit ModelFeeChanged(modelId, fee);
    }

    /// @notice Retires a model: no new requests. Pending requests can still be fulfilled
    /// (or cancelled after their deadline).
    function retireModel(uint256 modelId) external {
        ModelData storage m = _operatorModel(modelId);
        m.active = false;
        emit ModelRetired(modelId);
    }

    /// @notice Sets the wei per callback gas unit charged on a model's requests (0 until
    /// set). Only the model's operator; requests already made keep the price they paid.
    function setCallbackGasPrice(uint256 modelId, uint256 weiPerGas) external {
        ModelData storage m = _operatorModel(modelId);
        if (weiPerGas > MAX_CALLBACK_GAS_PRICE) revert GasPriceTooHigh(weiPerGas);
        // forge-lint: disable-next-line(unsafe-typecast) -- weiPerGas <= MAX_CALLBACK_GAS_PRICE checked above
        m.callbackGasPrice = uint128(weiPerGas);
        emit CallbackGasPriceChanged(modelId, weiPerGas);
    }

    // ------------------------------------------------------------------ requests

    /// @notice Price of a request: the model's fee plus callbackGasLimit times the model's
    /// callback gas price. Reverts if the model is not active.
    function quote(uint256 modelId, uint32 callbackGasLimit) external view returns (uint256) {
        (bool active, uint256 price) = _price(modelId, callbackGasLimit & ~FINAL_ONLY);
        if (!active) revert ModelNotActive(modelId);
        return price;
    }

    /// @dev Whether the model is active and the price of a request on it: one SLOAD (slot 0).
    function _price(uint256 modelId, uint256 callbackGas) private view returns (bool active, uint256 price) {
        ModelData storage m = _models[modelId];
        uint256 w;
        assembly ("memory-safe") {
            w := sload(m.slot)
        }
        active = (w >> 216) & 0xff != 0;
        price = (w & type(uint88).max) + callbackGas * ((w >> 88) & type(uint128).max);
    }

    /// @notice Requests an inference. Pays at least {quote}; the quote is escrowed and any
    /// excess is refunded to msg.sender in the same call.
    /// @param input opaque to the coordinator; by convention abi.encode(int256[]) with
    /// values in 1e18 fixed point (docs/encoding.md)
    /// @param callback contract to call back, or address(0) for none
    /// @param selector function called as selector(uint256 requestId, bytes output, uint32 errorCode)
    /// @param callbackGasLimit exact gas the callback will receive
    /// @return requestId id of the request; see {Requested}
    function request(uint256 modelId, bytes calldata input, address callback, bytes4 selector, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        uint256 price;
        uint256 p; // memory: the commitment words, then the event data, see below
        {
            // FINAL_ONLY (bit 31): the limit without the flag must be in range, and is what is
            // paid for (xor clears a set flag and sets a clear one, which stays too high)
            uint256 gasLimit = callbackGasLimit;
            if (gasLimit > MAX_CALLBACK_GAS_LIMIT) {
                gasLimit ^= FINAL_ONLY;
                if (gasLimit > MAX_CALLBACK_GAS_LIMIT) {
                    revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
                }
            }
            bool active;
            (active, price) = _price(modelId, gasLimit);
            if (!active) revert ModelNotActive(modelId);
            if (input.length > MAX_INPUT_BYTES) revert InputTooLarge(input.length, MAX_INPUT_BYTES);
            if (msg.value < price) revert InsufficientPayment(price, msg.value);
            uint256 deadline = uint64(block.timestamp) + requestTimeout;
            // The nine commitment words (requestId, modelId, requester, callback, selector, gas
            // limit, deadline, payment, inputHash) at p..p+0x120, then the Requested event's data
            // at e = p+0x120:
            //   e callbackWord | e+0x20 termsWord | e+0x40 0x60 | e+0x60 input.length |
            //   e+0x80 input, zero-padded
            // callbackWord = callback << 96 | selector << 64 | gasLimit << 32 and termsWord =
            // deadline << 192 | payment (payment < 2^161: fee < 2^88 plus gas limit < 2^23 times
            // price < 2^128). The id is the keccak of the commitment words with 0 in the id word:
            // no counter is stored. The commitment words are allocated; the event data after
            // them is only scratch for the keccak and the log.
            assembly ("memory-safe") {
                p := mload(0x40)
                mstore(0x40, add(p, 0x120))
                mstore(p, 0)
                mstore(add(p, 0x20), modelId)
                mstore(add(p, 0x40), caller())
                mstore(add(p, 0x60), callback)
                mstore(add(p, 0x80), selector)
                mstore(add(p, 0xa0), callbackGasLimit)
                mstore(add(p, 0xc0), deadline)
                mstore(add(p, 0xe0), price)
                let e := add(p, 0x120)
                mstore(e, or(shl(96, callback), or(shr(160, selector), shl(32, callbackGasLimit))))
                mstore(add(e, 0x20), or(shl(192, deadline), price))
            }
        }
        {
            uint256 pending;
            bytes32 topic0 = Requested.selector;
            assembly ("memory-safe") {
                let e := add(p, 0x120)
                let len := input.length
                calldatacopy(add(e, 0x80), input.offset, len)
                mstore(add(add(e, 0x80), len), 0)
                mstore(add(p, 0x100), keccak256(add(e, 0x80), len))
                requestId := keccak256(p, 0x120)
                // Taken (identical fields in the same second, i.e. same requester, model, input,
                // callback, gas limit and price): re-hash until free. Within one transaction each
                // step costs a warm SLOAD; across transactions a cold one, paid by the later one.
                for {} 1 {} {
                    mstore(0x00, requestId)
                    mstore(0x20, _slots.slot)
                    if iszero(sload(keccak256(0x00, 0x40))) { break }
                    requestId := keccak256(0x00, 0x20)
                }
                mstore(p, requestId)
                pending := or(shl(248, 1), and(keccak256(p, 0x120), sub(shl(248, 1), 1)))
                mstore(add(e, 0x40), 0x60)
                mstore(add(e, 0x60), len)
                log4(e, add(0x80, and(add(len, 31), not(31))), topic0, requestId, modelId, caller())
            }
            _slots[requestId] = pending;
        }

        if (msg.value > price) {
            unchecked {
                _send(payable(msg.sender), msg.value - price);
            }
        }
    }

    // ------------------------------------------------------------------ fulfilment

    /// @notice Fulfils a pending request: only the operator of its model, exactly once. Pays
    /// the operator (added to the model's {earnings}; see {collect}) and calls the consumer back with exactly
    /// `req.callbackGasLimit` gas. A callback that reverts, runs out of gas or returns any
    /// amount of data never makes this revert; its success is emitted in {Fulfilled} (and
    /// kept in the slot when the model has a challenge window).
    /// @param req the request's fields, exactly as emitted in {Requested}
    /// @param output the answer (by convention abi.encode(int256[]) in 1e18 fixed point)
    /// @param errorCode 0 for success, otherwise why the operator could not compute
    /// @return callbackSuccess whether the callback ran without reverting
    function fulfill(Request calldata req, bytes calldata output, uint32 errorCode)
        external
        returns (bool callbackSuccess)
    {
        uint256 slot = _slots[req.requestId];
        uint256 pending = _pendingSlot(_requestHashCd(req));
        uint256 gate = _gate(req.modelId);
        if (slot != pending || address(uint160(gate)) != msg.sender) _revertMismatch(req, slot, gate);
        if (gate & BLOCKED_BIT != 0) revert OperatorBlocked(req.modelId);
        _earn(req.modelId, gate, req.payment);
        return _fulfil(req, pending, gate & WINDOWED_BIT != 0, output, errorCode);
    }

    /// @notice Fulfils many requests in one transaction. An item that is not pending (already
    /// fulfilled, cancelled, unknown) or whose fields do not match its commitment (including
    /// a caller that is not the model's operator) is skipped with {FulfilmentSkipped} rather
    /// than reverting the batch. Insufficient gas for any item's callback reverts the whole
    /// batch, so that gas estimation never yields a batch that silently drops items.
    /// @return served number of items fulfilled
    function fulfillBatch(Fulfilment[] calldata items) external returns (uint256 served) {
        uint256 n = items.length;
        // Payments are summed per run of items on the same model and added to its earnings
        // when the model changes and at the end (a callback that re-enters and collects sees
        // the earnings without the current run, which only delays them; every slot was
        // marked before its callback).
        uint256 runModel;
        uint256 runEarned;
        for (uint256 i; i < n;) {
            Fulfilment calldata it = items[i];
            Request calldata req = it.req;
            uint256 slot = _slots[req.requestId];
            uint256 pending = _pendingSlot(_requestHashCd(req));
            uint256 gate = _gate(req.modelId);
            bool match_ = slot == pending && address(uint160(gate)) == msg.sender;
            if (match_ && gate & BLOCKED_BIT != 0) {
                emit FulfilmentSkipped(req.requestId, SkipReason.OperatorBlocked);
            } else if (match_) {
                if (req.modelId != runModel) {
                    if (runEarned != 0) _earn(runModel, _gate(runModel), runEarned);
                    runModel = req.modelId;
                    runEarned = 0;
                }
                runEarned += req.payment;
                _fulfil(req, pending, gate & WINDOWED_BIT != 0, it.output, it.errorCode);
                unchecked {
                    ++served;
                }
            } else {
                emit FulfilmentSkipped(req.requestId, _skipReason(slot));
            }
            unchecked {
                ++i;
            }
        }
        if (runEarned != 0) _earn(runModel, _gate(runModel), runEarned);
    }

    /// @notice Cancels a pending request after its deadline and refunds its payment to the
    /// requester's {balanceOf} (withdraw it with {withdraw}). Only the requester may cancel.
    /// @param req the request's fields, exactly as emitted in {Requested}
    function cancel(Request calldata req) external {
        if (msg.sender != req.requester) revert NotRequester(req.requestId, msg.sender);
        uint256 slot = _slots[req.requestId];
        if (slot >> STATE_SHIFT != STATE_PENDING) _revertNotPending(req.requestId, slot);
        if (slot != _pendingSlot(_requestHashCd(req))) revert RequestMismatch(req.requestId);
        if (block.timestamp <= req.deadline) revert DeadlineNotReached(req.requestId, req.deadline);
        _slots[req.requestId] = (STATE_CANCELLED << STATE_SHIFT) | (slot & LOW_248);
        _balances[msg.sender] += req.payment;
        emit Cancelled(req.requestId, msg.sender, req.payment);
    }

    /// @notice Moves a model's {earnings} to its operator's {balanceOf} (callable by anyone;
    /// the operator then {withdraw}s). Fulfilments add their payments to the model's slot
    /// that fulfilment reads anyway, rather than to the operator's balance: 2,900 gas per
    /// fulfilment instead of 5,000, and one move per collection instead of per request.
    /// @return amount the wei moved
    function collect(uint256 modelId) external returns (uint256 amount) {
        ModelData storage m = _models[modelId];
        amount = m.earned;
        if (amount == 0) revert NothingToWithdraw();
        m.earned = 0;
        address operator = m.operator;
        _balances[operator] += amount;
        emit EarningsCollected(modelId, operator, amount);
    }

    /// @notice Sends msg.sender's whole balance (collected operator earnings, refunds, slashed
    /// bonds' shares) to `to`.
    function withdraw(address payable to) external {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    // ------------------------------------------------------------------ verification

    /// @notice Sets a model's challenge window (seconds a result stays challengeable; it may
    /// only grow, so no result ever becomes final earlier than promised) and the bond its
    /// operator must keep posted to fulfil (0: none). docs/verification.md.
    function setVerification(uint256 modelId, uint64 challengeWindow, uint128 minBond) external {
        ModelData storage m = _operatorModel(modelId);
        if (challengeWindow < m.challengeWindow) revert WindowDecrease(m.challengeWindow, challengeWindow);
        m.challengeWindow = challengeWindow;
        m.windowed = challengeWindow != 0;
        m.minBond = minBond;
        _updateBlocked(modelId, m);
        emit VerificationSet(modelId, challengeWindow, minBond);
    }

    /// @notice Adds msg.value to the bond of msg.sender's model.
    function postBond(uint256 modelId) external payable {
        ModelData storage m = _operatorModel(modelId);
        Bond storage b = _bonds[modelId];
        if (b.barred) revert OperatorBlocked(modelId);
        if (b.unbondingAt != 0) revert Unbonding(modelId);
        uint256 total = uint256(b.amount) + msg.value;
        // forge-lint: disable-next-line(unsafe-typecast) -- ETH supply is far below 2^128
        b.amount = uint128(total);
        _updateBlocked(modelId, m);
        emit BondPosted(modelId, msg.value, total);
    }

    /// @notice Starts withdrawing the bond: the operator can no longer fulfil on this model,
    /// and the bond is withdrawable once every result it backs is past its window.
    function startUnbonding(uint256 modelId) external {
        ModelData storage m = _operatorModel(modelId);
        Bond storage b = _bonds[modelId];
        if (b.unbondingAt != 0) revert Unbonding(modelId);
        b.unbondingAt = uint64(block.timestamp);
        _updateBlocked(modelId, m);
        emit UnbondingStarted(modelId, uint64(block.timestamp));
    }

    /// @notice Sends the bond to `to` once unbonding started more than a challenge window ago.
    function withdrawBond(uint256 modelId, address payable to) external {
        ModelData storage m = _operatorModel(modelId);
        Bond storage b = _bonds[modelId];
        uint256 at = uint256(b.unbondingAt) + m.challengeWindow;
        if (b.unbondingAt == 0 || block.timestamp <= at) revert NotUnbonded(modelId, at);
        uint256 amount = b.amount;
        if (amount == 0) revert NothingToWithdraw();
        b.amount = 0;
        emit BondWithdrawn(modelId, to, amount);
        _send(to, amount);
    }

    /// @notice The bond of a model, when its unbonding started (0: not) and whether its
    /// operator was barred by a successful challenge.
    function bondOf(uint256 modelId) external view returns (uint256 amount, uint64 unbondingAt, bool barred) {
        Bond storage b = _bonds[modelId];
        return (b.amount, b.unbondingAt, b.barred);
    }

    /// @notice Whether a request's result is final: fulfilled, and either corrected by a
    /// challenge or past the model's challenge window. `modelId` must be the request's model
    /// (the consumer knows it). A model without a window keeps no result: its fulfilment
    /// clears the request's slot (the result is final at once, and this returns false).
    function isFinal(uint256 requestId, uint256 modelId) external view returns (bool) {
        uint256 slot = _slots[requestId];
        if (slot >> STATE_SHIFT != STATE_FULFILLED) return false;
        if (slot & CORRECTED_BIT != 0) return true;
        uint256 fulfilled = (slot >> TIME_SHIFT) & type(uint40).max;
        return block.timestamp > fulfilled + _models[modelId].challengeWindow;
    }

    /// @notice Challenges a fulfilled result by re-executing the model on chain. `req`,
    /// `output` and `errorCode` must be what was fulfilled (checked against the commitment),
    /// `model` the registered model file (its keccak-256 is the model hash), `input` the
    /// request's input (its keccak-256 is req.inputHash), in the ABI form
    /// abi.encode(int256[]) with n_in values in the int192 range: only then is the correct
    /// answer decidable on chain (abi.encode(Y), errorCode 0). If the fulfilled result differs,
    /// the operator's bond is slashed (half to the caller, the rest to the requester's
    /// balance), the operator is barred from the model (which is retired), and the corrected
    /// output is recorded (final at once) and delivered to the callback with the request's
    /// gas limit. A correct result reverts {ResultCorrect}: an honest result is never slashed.
    function challenge(
        Request calldata req,
        bytes calldata output,
        uint32 errorCode,
        bytes calldata model,
        bytes calldata input
    ) external returns (bool callbackSuccess) {
        (uint256 pending, bytes memory correct) = _checkChallenge(req, output, errorCode, model, input);
        return _slash(req, pending, correct);
    }

    /// @notice Calls back a final-only request (callbackGasLimit with {FINAL_ONLY}) once its
    /// result is final: callable by anyone after the model's challenge window, with the
    /// fulfilled `output` and `errorCode` (checked against the commitment), once. The
    /// callback gets exactly the request's gas limit (without the flag), as in {fulfill}. A
    /// request corrected by a challenge was delivered by it. docs/verification.md.
    function deliver(Request calldata req, bytes calldata output, uint32 errorCode)
        external
        returns (bool callbackSuccess)
    {
        uint256 requestId = req.requestId;
        uint256 slot = _slots[requestId];
        if (slot >> STATE_SHIFT != STATE_FULFILLED) revert NotFulfilled(requestId);
        if (slot & DELIVERED_BIT != 0) revert AlreadyDelivered(requestId);
        if (slot & CORRECTED_BIT != 0) revert AlreadyCorrected(requestId);
        ModelData storage m = _models[req.modelId];
        address operator = m.operator;
        uint256 pending = _pendingSlot(_requestHashCd(req));
        if (slot & LOW_200 != uint256(_resultHash(pending, keccak256(output), errorCode, operator)) & LOW_200) {
            revert ResultMismatch(requestId);
        }
        if (req.callbackGasLimit & FINAL_ONLY == 0) revert NotFinalOnly(requestId);
        uint256 finalAfter = ((slot >> TIME_SHIFT) & type(uint40).max) + m.challengeWindow;
        if (block.timestamp <= finalAfter) revert NotFinal(requestId, finalAfter);
        slot |= DELIVERED_BIT;
        _slots[requestId] = slot;
        if (req.callback != address(0)) {
            callbackSuccess = _callbackMem(req, output, errorCode);
            if (callbackSuccess) _slots[requestId] = slot | CALLBACK_OK_BIT;
        }
        emit Delivered(requestId, msg.sender, errorCode, callbackSuccess, output);
    }

    /// @dev The challenge's checks; returns the request's Pending value and the correct output.
    function _checkChallenge(
        Request calldata req,
        bytes calldata output,
        uint32 errorCode,
        bytes calldata model,
        bytes calldata input
    ) private view returns (uint256 pending, bytes memory correct) {
        uint256 requestId = req.requestId;
        uint256 slot = _slots[requestId];
        if (slot >> STATE_SHIFT != STATE_FULFILLED) revert NotFulfilled(requestId);
        if (slot & CORRECTED_BIT != 0) revert AlreadyCorrected(requestId);
        ModelData storage m = _models[req.modelId];
        address operator = m.operator;
        pending = _pendingSlot(_requestHashCd(req));
        if (slot & LOW_200 != uint256(_resultHash(pending, keccak256(output), errorCode, operator)) & LOW_200) {
            revert ResultMismatch(requestId);
        }
        uint256 window = m.challengeWindow;
        if (window == 0 || block.timestamp > ((slot >> TIME_SHIFT) & type(uint40).max) + window) {
            revert ChallengeWindowClosed(requestId);
        }
        if (keccak256(model) != m.modelHash) revert ModelBytesMismatch(m.modelHash, keccak256(model));
        if (keccak256(input) != req.inputHash) revert InputBytesMismatch(req.inputHash, keccak256(input));
        correct = _reexecute(requestId, model, input);
        if (errorCode == 0 && keccak256(correct) == keccak256(output)) revert ResultCorrect(requestId);
    }

    /// @dev A successful challenge's effects: slash, bar, record the corrected result; then
    /// the callback.
    function _slash(Request calldata req, uint256 pending, bytes memory correct)
        private
        returns (bool callbackSuccess)
    {
        uint256 requestId = req.requestId;
        ModelData storage m = _models[req.modelId];
        Bond storage b = _bonds[req.modelId];
        uint256 slashed = b.amount;
        uint256 toChallenger = slashed / 2;
        b.amount = 0;
        b.barred = true;
        m.blocked = true;
        if (m.active) {
            m.active = false;
            emit ModelRetired(req.modelId);
        }
        _balances[msg.sender] += toChallenger;
        _balances[req.requester] += slashed - toChallenger;
        bytes32 outputHash = keccak256(correct);
        bool finalOnly = req.callbackGasLimit & FINAL_ONLY != 0;
        uint256 done = (STATE_FULFILLED << STATE_SHIFT) | CORRECTED_BIT | (block.timestamp << TIME_SHIFT)
            | (uint256(_resultHash(pending, outputHash, 0, address(this))) & LOW_200);
        if (finalOnly) done |= DELIVERED_BIT;
        _slots[requestId] = done;
        if (req.callback != address(0)) {
            callbackSuccess = _callbackMem(req, correct, 0);
            if (callbackSuccess) _slots[requestId] = done | CALLBACK_OK_BIT;
        }
        emit Challenged(requestId, msg.sender, m.operator, slashed, toChallenger, outputHash, callbackSuccess);
        // a final-only request gets the corrected output as its (only) delivery
        if (finalOnly) emit Delivered(requestId, msg.sender, 0, callbackSuccess, correct);
    }

    /// @dev abi.encode(Y) for a strictly ABI-encoded input, or InputNotDecidable.
    function _reexecute(uint256 requestId, bytes calldata model, bytes calldata input)
        private
        view
        returns (bytes memory)
    {
        if (input.length < 64 || input[0] != 0) revert InputNotDecidable(requestId);
        int256[] memory x = abi.decode(input, (int256[]));
        if (keccak256(abi.encode(x)) != keccak256(input)) revert InputNotDecidable(requestId);
        try verifier.predict(model, x) returns (int256[] memory y, int256[] memory) {
            return abi.encode(y);
        } catch {
            revert InputNotDecidable(requestId);
        }
    }

    /// @dev The consumer callback with a memory output, exact gas as in {fulfill} (the limit
    /// without {FINAL_ONLY}).
    function _callbackMem(Request calldata req, bytes memory output, uint32 errorCode) private returns (bool ok) {
        address target = req.callback;
        uint256 gasLimit = req.callbackGasLimit & ~FINAL_ONLY;
        bytes memory data = abi.encodeWithSelector(req.selector, req.requestId, output, errorCode);
        bool enough;
        assembly ("memory-safe") {
            let g := gas()
            if gt(g, GAS_FOR_CALL_EXACT_CHECK) {
                g := sub(g, GAS_FOR_CALL_EXACT_CHECK)
                enough := gt(sub(g, div(g, 64)), gasLimit)
            }
            if and(enough, gt(extcodesize(target), 0)) {
                ok := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
            }
        }
        if (!enough) revert InsufficientGasForCallback(req.requestId);
    }

    function _updateBlocked(uint256 modelId, ModelData storage m) private {
        Bond storage b = _bonds[modelId];
        m.blocked = b.barred || b.unbondingAt != 0 || b.amount < m.minBond;
    }

    // ------------------------------------------------------------------ views

    /// @notice Everything stored about a model (operator address(0) if unknown).
    function getModel(uint256 modelId) external view returns (Model memory) {
        ModelData storage m = _models[modelId];
        return Model({
            operator: m.operator,
            fee: m.fee,
            active: m.active,
            modelHash: m.modelHash,
            inputSize: m.inputSize,
            outputSize: m.outputSize,
            challengeWindow: m.challengeWindow,
            minBond: m.minBond,
            uri: m.uri
        });
    }

    /// @notice The state of a request's slot.
    function requestState(uint256 requestId) external view returns (RequestState) {
        return RequestState(_slots[requestId] >> STATE_SHIFT);
    }

    /// @notice The raw request slot (layout in docs/coordinator.md).
    function commitmentOf(uint256 requestId) external view returns (bytes32) {
        return bytes32(_slots[requestId]);
    }

    /// @notice Whether the callback of a fulfilled request ran without reverting.
    function callbackSucceeded(uint256 requestId) external view returns (bool) {
        uint256 slot = _slots[requestId];
        return slot >> STATE_SHIFT == STATE_FULFILLED && slot & CALLBACK_OK_BIT != 0;
    }

    /// @notice Block timestamp of a request's fulfilment (0 if not fulfilled).
    function fulfilledAt(uint256 requestId) external view returns (uint64) {
        uint256 slot = _slots[requestId];
        if (slot >> STATE_SHIFT != STATE_FULFILLED) return 0;
        return uint64((slot >> TIME_SHIFT) & type(uint40).max);
    }

    /// @notice Withdrawable wei of an account (collected operator earnings, refunds of
    /// cancelled requests, shares of slashed bonds).
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @notice Payments for a model's fulfilled requests not yet collected to its operator's
    /// balance ({collect}).
    function earnings(uint256 modelId) external view returns (uint256) {
        return _models[modelId].earned;
    }

    /// @notice The wei per callback gas unit a model's requests pay.
    function callbackGasPrice(uint256 modelId) external view returns (uint256) {
        return _models[modelId].callbackGasPrice;
    }

    /// @notice The pending-request slot value for `req`.
    function requestCommitment(Request calldata req) external pure returns (bytes32) {
        return bytes32(_pendingSlot(_requestHashCd(req)));
    }

    /// @notice The result hash folded into a fulfilled slot (low 200 bits are stored) of a
    /// model with a challenge window, `operator` being the model's operator.
    function resultHash(Request calldata req, address operator, bytes calldata output, uint32 errorCode)
        external
        pure
        returns (bytes32)
    {
        return _resultHash(_pendingSlot(_requestHashCd(req)), keccak256(output), errorCode, operator);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Effects and the callback of a fulfilment whose checks passed (the caller
    /// credited the payment). A model with a challenge window (`windowed`) keeps a result
    /// commitment in the slot; otherwise the slot is cleared (EIP-3529 refund): a fulfilled
    /// request then reads as None, which no later request can take, because its id hashes a
    /// deadline of an earlier second. Only a fulfilment in the very second of its request
    /// (when an identical request could still follow) keeps the commitment instead.
    function _fulfil(Request calldata req, uint256 pending, bool windowed, bytes calldata output, uint32 errorCode)
        private
        returns (bool ok)
    {
        uint256 len = output.length;
        if (len > MAX_OUTPUT_BYTES) revert OutputTooLarge(len, MAX_OUTPUT_BYTES);
        uint256 requestId = req.requestId;
        bytes32 outputHash;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, output.offset, len)
            outputHash := keccak256(p, len)
        }
        uint256 done;
        if (windowed || block.timestamp + requestTimeout <= req.deadline) {
            // result = keccak256(abi.encode(pending, outputHash, errorCode, operator))
            bytes32 result;
            assembly ("memory-safe") {
                let p := mload(0x40)
                mstore(p, pending)
                mstore(add(p, 0x20), outputHash)
                mstore(add(p, 0x40), errorCode)
                mstore(add(p, 0x60), caller())
                result := keccak256(p, 0x80)
            }
            done = (STATE_FULFILLED << STATE_SHIFT) | (block.timestamp << TIME_SHIFT) | (uint256(result) & LOW_200);
        }
        // Effects: mark fulfilled (or clear) before the callback.
        _slots[requestId] = done;

        address target = req.callback;
        if (target != address(0)) {
            uint256 gasLimit = req.callbackGasLimit;
            // final-only (rare): its own path, so that this one stays as it was
            if (gasLimit >= FINAL_ONLY) return _fulfilFinalOnly(req, done, windowed, output, errorCode, outputHash);
            bytes4 selector = req.selector;
            bool enough;
            assembly ("memory-safe") {
                // calldata: selector(requestId, output, errorCode), built before the gas check
                // so that nothing but EXTCODESIZE and CALL runs between the check and the call
                let p := mload(0x40)
                mstore(p, selector)
                mstore(add(p, 0x04), requestId)
                mstore(add(p, 0x24), 0x60)
                mstore(add(p, 0x44), errorCode)
                mstore(add(p, 0x64), len)
                calldatacopy(add(p, 0x84), output.offset, len)
                mstore(add(add(p, 0x84), len), 0)
                let size := add(0x84, and(add(len, 31), not(31)))
                let g := gas()
                if gt(g, GAS_FOR_CALL_EXACT_CHECK) {
                    g := sub(g, GAS_FOR_CALL_EXACT_CHECK)
                    enough := gt(sub(g, div(g, 64)), gasLimit)
                }
                // no returndata is copied (out size 0): a returndata bomb costs us nothing
                if and(enough, gt(extcodesize(target), 0)) { ok := call(gasLimit, target, 0, p, size, 0, 0) }
            }
            if (!enough) revert InsufficientGasForCallback(requestId);
            if (ok && done != 0) _slots[requestId] = done | CALLBACK_OK_BIT;
        }
        emit Fulfilled(requestId, _outcome(errorCode, ok), outputHash);
    }

    /// @dev The rest of {_fulfil} for a final-only request with a callback, its slot written:
    /// with a challenge window the result is only recorded ({deliver} calls back once it is
    /// final); without one it is final now and this fulfilment is its delivery.
    function _fulfilFinalOnly(
        Request calldata req,
        uint256 done,
        bool windowed,
        bytes calldata output,
        uint32 errorCode,
        bytes32 outputHash
    ) private returns (bool ok) {
        uint256 requestId = req.requestId;
        if (!windowed) {
            if (done != 0) _slots[requestId] = done |= DELIVERED_BIT;
            ok = _callbackMem(req, output, errorCode);
            if (ok && done != 0) _slots[requestId] = done | CALLBACK_OK_BIT;
            emit Delivered(requestId, msg.sender, errorCode, ok, output);
        }
        emit Fulfilled(requestId, _outcome(errorCode, ok), outputHash);
    }

    /// @dev The Fulfilled event's outcome word: errorCode << 8 | callbackSuccess.
    function _outcome(uint32 errorCode, bool ok) private pure returns (uint256 w) {
        w = uint256(errorCode) << 8;
        if (ok) w |= 1;
    }

    function _operatorModel(uint256 modelId) private view returns (ModelData storage m) {
        m = _models[modelId];
        if (m.operator != msg.sender || msg.sender == address(0)) revert NotModelOperator(modelId, msg.sender);
    }

    function _send(address payable to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _revertMismatch(Request calldata req, uint256 slot, uint256 gate) private view {
        if (slot >> STATE_SHIFT != STATE_PENDING) _revertNotPending(req.requestId, slot);
        if (address(uint160(gate)) != msg.sender) revert NotModelOperator(req.modelId, msg.sender);
        revert RequestMismatch(req.requestId);
    }

    /// @dev Credits `amount` to the model's earnings in its slot 1, whose current value is
    /// `gate` (read by the caller, no external call since). Earnings are an uint80 (1.2M
    /// ether); a payment that would overflow them goes to the operator's balance instead.
    function _earn(uint256 modelId, uint256 gate, uint256 amount) private {
        uint256 e = (gate >> EARNED_SHIFT) + amount;
        if (e > type(uint80).max) {
            _balances[msg.sender] += amount;
            return;
        }
        ModelData storage m = _models[modelId];
        uint256 w = (gate & LOW_176) | (e << EARNED_SHIFT);
        assembly ("memory-safe") {
            sstore(add(m.slot, 1), w)
        }
    }

    /// @dev Slot 1 of a model, all a fulfilment needs of it: operator | blocked | windowed | earned.
    function _gate(uint256 modelId) private view returns (uint256 w) {
        ModelData storage m = _models[modelId];
        assembly ("memory-safe") {
            w := sload(add(m.slot, 1))
        }
    }

    function _revertNotPending(uint256 requestId, uint256 slot) private pure {
        uint256 state = slot >> STATE_SHIFT;
        if (state == STATE_FULFILLED) revert AlreadyFulfilled(requestId);
        if (state == STATE_CANCELLED) revert RequestIsCancelled(requestId);
        revert UnknownRequest(requestId);
    }

    function _skipReason(uint256 slot) private pure returns (SkipReason) {
        uint256 state = slot >> STATE_SHIFT;
        if (state == STATE_FULFILLED) return SkipReason.AlreadyFulfilled;
        if (state == STATE_CANCELLED) return SkipReason.Cancelled;
        if (state == STATE_PENDING) return SkipReason.Mismatch;
        return SkipReason.Unknown;
    }

    function _pendingSlot(bytes32 h) private pure returns (uint256) {
        return (STATE_PENDING << STATE_SHIFT) | (uint256(h) & LOW_248);
    }

    /// @dev keccak256(abi.encode(req)): the nine fields as 32-byte words. Hashes the
    /// calldata words as they are: a non-canonical word (dirty high bits) gives a different
    /// hash than the canonical encoding stored by {request}, so it can only fail to match.
    function _requestHashCd(Request calldata r) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, r, 0x120)
            h := keccak256(p, 0x120)
        }
    }

    function _resultHash(uint256 pending, bytes32 outputHash, uint32 errorCode, address operator)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(pending, outputHash, errorCode, operator));
    }
}
