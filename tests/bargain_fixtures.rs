//! KTAB's published validation data, embedded so the tests need nothing outside the repository.
//!
//! Copied verbatim from the shared validation folder (`validation/ktab/`): KTAB's two sample inputs, the turn-0
//! intermediates KTAB logs for them and KTAB's reference histories. Included by the other `bargain_*` tests with
//! `#[path = "bargain_fixtures.rs"] mod fixtures;`; as its own test target it checks that the copies have not
//! drifted from the shared originals (when that folder sits beside the checkout; a clone alone skips that part)
//! and that the sample input shipped for users, `examples/ktab/dummyData_3Dim.csv`, is the same text.
#![allow(dead_code)]
/// `dummyData_3Dim.csv`
pub const DUMMY_CSV: &str = r#"DummyData_3Dim ,"Dummy scenario to test reading format",7,3,
Actor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,Pstn3,Sal3,
SActor-00, Random Spatial Actor, 102.543, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,
SActor-01, Random Spatial Actor,  53.393, 82.72, 30.33, 73.50, 21.22, 64.00, 24.79,
SActor-02, Random Spatial Actor, 129.643, 82.45, 48.47, 90.89, 13.55,  0.07, 34.62,
SActor-03, Random Spatial Actor,  75.920, 62.52, 20.76, 50.82, 39.24, 62.33, 22.21,
SActor-04, Random Spatial Actor,  63.224, 82.34, 40.96, 45.77, 25.43, 73.31, 22.59,
SActor-05, Random Spatial Actor, 120.048, 84.48, 22.92, 33.70, 39.35, 88.11, 15.42,
SActor-06, Random Spatial Actor,  54.178, 70.96, 31.75, 33.46, 27.93, 90.36, 26.03,
"#;
/// `dummyData_3Dim.turn0.txt`
pub const DUMMY_TURN0: &str = r#"Raw actor-pos value matrix (risk neutral)
 +1.000  +0.903  +0.639  +0.870  +0.929  +0.882  +0.890
 +0.675  +1.000  +0.635  +0.825  +0.858  +0.767  +0.746
 +0.556  +0.636  +1.000  +0.603  +0.573  +0.485  +0.465
 +0.642  +0.802  +0.570  +1.000  +0.896  +0.800  +0.811
 +0.805  +0.862  +0.622  +0.839  +1.000  +0.913  +0.872
 +0.766  +0.665  +0.453  +0.807  +0.890  +1.000  +0.935
 +0.813  +0.725  +0.422  +0.816  +0.866  +0.913  +1.000
Inferred risk attitudes:
 -0.500
 -0.459
 -0.499
 -0.274
 +1.000
 -0.232
 -0.430
Risk-aware actor-pos utility matrix (objective):
 +1.0000  +0.8593  +0.5233  +0.8136  +0.8958  +0.8297  +0.8410
 +0.5740  +1.0000  +0.5283  +0.7585  +0.8022  +0.6855  +0.6595
 +0.4328  +0.5199  +1.0000  +0.4837  +0.4508  +0.3602  +0.3406
 +0.5795  +0.7581  +0.5029  +1.0000  +0.8701  +0.7560  +0.7687
 +0.9619  +0.9809  +0.8570  +0.9740  +1.0000  +0.9925  +0.9836
 +0.7240  +0.6135  +0.3958  +0.7704  +0.8672  +1.0000  +0.9210
 +0.7473  +0.6395  +0.3173  +0.7508  +0.8155  +0.8785  +1.0000

In turn 0 actor 0 has most advantageous target 6 worth 0.095
Est by  0 of prob 0.7643 that [ 0> 6], with expected gain to  0 of +0.0947
Est by  0 of prob 0.7643 that [ 0> 6], with expected gain to  6 of -0.1548
Est by  6 of prob 0.7660 that [ 0> 6], with expected gain to  0 of +0.0925
Est by  6 of prob 0.7660 that [ 0> 6], with expected gain to  6 of -0.1514
   0 proposes 0 adopt:  75.610  24.780  71.950
   0 proposes 6 adopt:  75.610  24.790  71.950
   6 proposes 0 adopt:  71.080  33.450  90.120
   6 proposes 6 adopt:  71.080  33.450  90.120
In turn 0 actor 5 has most advantageous target 1 worth 0.299
Est by  5 of prob 0.8510 that [ 5> 1], with expected gain to  5 of +0.2986
Est by  5 of prob 0.8510 that [ 5> 1], with expected gain to  1 of -0.2221
Est by  1 of prob 0.8518 that [ 5> 1], with expected gain to  5 of +0.3252
Est by  1 of prob 0.8518 that [ 5> 1], with expected gain to  1 of -0.2433
   5 proposes 5 adopt:  84.390  34.050  86.340
   5 proposes 1 adopt:  84.390  34.050  86.340
   1 proposes 5 adopt:  82.930  55.830  65.990
   1 proposes 1 adopt:  82.930  55.830  65.990
In turn 0 actor 1 has most advantageous target 0 worth 0.281
Est by  1 of prob 0.7964 that [ 1> 0], with expected gain to  1 of +0.2810
Est by  1 of prob 0.7964 that [ 1> 0], with expected gain to  0 of -0.0912
Est by  0 of prob 0.7952 that [ 1> 0], with expected gain to  1 of +0.2840
Est by  0 of prob 0.7952 that [ 1> 0], with expected gain to  0 of -0.0925
   1 proposes 1 adopt:  81.690  73.160  64.500
   1 proposes 0 adopt:  81.690  73.160  64.500
   0 proposes 1 adopt:  76.180  51.340  69.750
   0 proposes 0 adopt:  76.180  51.330  69.750
In turn 0 actor 6 has most advantageous target 1 worth 0.029
Est by  6 of prob 0.3970 that [ 6> 1], with expected gain to  6 of +0.0286
Est by  6 of prob 0.3970 that [ 6> 1], with expected gain to  1 of -0.0267
Est by  1 of prob 0.3981 that [ 6> 1], with expected gain to  6 of +0.0295
Est by  1 of prob 0.3981 that [ 6> 1], with expected gain to  1 of -0.0276
   6 proposes 6 adopt:  78.930  56.330  72.520
   6 proposes 1 adopt:  78.930  56.330  72.520
   1 proposes 6 adopt:  82.710  73.440  64.030
   1 proposes 1 adopt:  82.710  73.440  64.030
In turn 0 actor 2 has most advantageous target 6 worth 0.471
Est by  2 of prob 0.8334 that [ 2> 6], with expected gain to  2 of +0.4711
Est by  2 of prob 0.8334 that [ 2> 6], with expected gain to  6 of -0.4958
Est by  6 of prob 0.8331 that [ 2> 6], with expected gain to  2 of +0.4626
Est by  6 of prob 0.8331 that [ 2> 6], with expected gain to  6 of -0.4874
   2 proposes 2 adopt:  82.260  82.560  2.060
   2 proposes 6 adopt:  82.260  82.560  2.060
   6 proposes 2 adopt:  78.240  41.990  39.150
   6 proposes 6 adopt:  78.240  41.990  39.150
In turn 0 actor 4 has most advantageous target 0 worth 0.012
Est by  4 of prob 0.5836 that [ 4> 0], with expected gain to  4 of +0.0116
Est by  4 of prob 0.5836 that [ 4> 0], with expected gain to  0 of -0.0116
Est by  0 of prob 0.7586 that [ 4> 0], with expected gain to  4 of +0.1164
Est by  0 of prob 0.7586 that [ 4> 0], with expected gain to  0 of -0.0621
   4 proposes 4 adopt:  79.540  44.720  72.050
   4 proposes 0 adopt:  79.540  44.710  72.050
   0 proposes 4 adopt:  75.870  15.960  70.480
   0 proposes 0 adopt:  75.870  15.950  70.480
In turn 0 actor 3 has most advantageous target 0 worth 0.284
Est by  3 of prob 0.8056 that [ 3> 0], with expected gain to  3 of +0.2839
Est by  3 of prob 0.8056 that [ 3> 0], with expected gain to  0 of -0.1143
Est by  0 of prob 0.8008 that [ 3> 0], with expected gain to  3 of +0.3035
Est by  0 of prob 0.8008 that [ 3> 0], with expected gain to  0 of -0.1243
   3 proposes 3 adopt:  65.820  50.760  63.020
   3 proposes 0 adopt:  65.820  50.760  63.020
   0 proposes 3 adopt:  75.360  46.080  69.590
   0 proposes 0 adopt:  75.360  46.080  69.590
"#;
/// `dummyData_3Dim.reference.txt`
pub const DUMMY_REFERENCE: &str = r#"History of actor positions over time:
SActor-00, Pstn1:  75.8  79.5  80.6  80.6  78.5  78.5  78.5  78.5  78.6  78.6  78.6
SActor-00, Pstn2:   6.4  44.7  34.2  35.0  30.5  30.5  31.2  31.2  31.5  31.8  31.8
SActor-00, Pstn3:  70.5  72.0  75.9  76.1  74.0  74.0  74.0  74.0  74.0  74.1  74.1
SActor-01, Pstn1:  82.7  78.9  76.0  78.3  79.0  79.0  79.1  78.5  79.9  78.6  78.6
SActor-01, Pstn2:  73.5  56.3  27.5  30.5  30.6  30.6  30.9  31.2  34.4  31.8  31.8
SActor-01, Pstn3:  64.0  72.5  72.0  73.8  74.2  74.2  74.3  74.0  75.2  74.1  74.1
SActor-02, Pstn1:  82.5  82.5  82.5  82.5  82.5  82.5  82.5  82.5  82.5  82.5  82.5
SActor-02, Pstn2:  90.9  90.9  90.9  90.9  90.9  90.9  90.9  90.9  90.9  90.9  90.9
SActor-02, Pstn3:   0.1   0.1   0.1   0.1   0.1   0.1   0.1   0.1   0.1   0.1   0.1
SActor-03, Pstn1:  62.5  65.8  66.7  66.7  66.7  66.7  67.1  67.1  67.1  67.1  67.1
SActor-03, Pstn2:  50.8  50.8  50.2  50.2  50.2  50.2  50.1  50.1  50.1  50.1  50.1
SActor-03, Pstn3:  62.3  63.0  63.5  63.5  63.5  63.5  63.7  63.7  63.7  63.7  63.7
SActor-04, Pstn1:  82.3  79.5  81.5  78.3  78.5  78.5  78.6  80.5  78.6  78.6  78.6
SActor-04, Pstn2:  45.8  44.7  35.8  30.5  30.5  30.5  30.6  34.6  31.6  31.6  31.6
SActor-04, Pstn3:  73.3  72.0  79.1  73.8  74.0  74.0  74.1  75.9  74.0  74.1  74.1
SActor-05, Pstn1:  84.5  84.4  80.6  80.7  80.6  80.5  80.5  80.5  79.9  79.9  79.9
SActor-05, Pstn2:  33.7  34.1  34.2  34.3  34.7  34.6  34.6  34.6  34.4  34.4  34.4
SActor-05, Pstn3:  88.1  86.3  75.9  76.3  76.1  75.9  75.9  75.9  75.2  75.2  75.2
SActor-06, Pstn1:  71.0  75.6  76.0  77.4  77.4  80.5  78.5  78.5  78.7  78.7  78.6
SActor-06, Pstn2:  33.5  24.8  27.5  28.7  28.7  34.6  31.2  31.2  31.3  31.3  31.6
SActor-06, Pstn3:  90.4  72.0  72.0  73.0  73.0  75.9  74.0  74.0  74.1  74.1  74.1
History of actors' winning probabilities:
SActor-00, prob : 0.0047 0.6059 0.3618 0.2234 0.2420 0.4040 0.4031 0.3546 0.4593 0.3962 0.3340
SActor-01, prob : 0.0302 0.0509 0.3087 0.3684 0.2457 0.1811 0.1290 0.3546 0.2960 0.3962 0.3340
SActor-02, prob : 0.0054 0.0096 0.0256 0.0158 0.0096 0.0339 0.0072 0.0571 0.0194 0.0074 0.0183
SActor-03, prob : 0.1492 0.1406 0.1887 0.1674 0.0823 0.2564 0.0533 0.2768 0.1131 0.0507 0.0957
SActor-04, prob : 0.6001 0.6059 0.1152 0.3684 0.2420 0.4040 0.0446 0.3115 0.4593 0.1730 0.1512
SActor-05, prob : 0.1447 0.1217 0.3618 0.0649 0.3687 0.1246 0.3628 0.3115 0.2960 0.3530 0.4009
SActor-06, prob : 0.0656 0.0713 0.3087 0.1602 0.0517 0.1246 0.4031 0.3546 0.1123 0.0198 0.1512
"#;
/// `SOE-Pol-Comp.csv`
pub const SOE_CSV: &str = r#"China Policy/Competitive; scen 2,Scenario-0002;Combined Policy and Competitive, 13, 2, 
Actor,Description,Influence,Policy Position,Policy Salience,Competitive Position,Competitive Salience, 
XJ,Xi Jinping,                            100.0,30,24.0,20,48.0, 
LK,Li Keqiang,                             60.2,45,44.7,65,41.3, 
ZG,Zhang Gaoli,                            35.0,30,28.9,15,65.1, 
MK,Ma Kai,                                 35.0,45,20.6,45,49.4, 
LH,Liu He - Deputy Director of DRC,        40.0,50,44.7,65,47.8, 
XS,Xu Shaoshi - Director of NDRC,          20.0,15,32.0,10,32.0, 
NEA,National Energy Administration,        15.0,20,32.0,15,32.0, 
MLR,Ministry of Land and Resources,        25.0,60,43.9,50,50.1, 
MEP,Ministry of Environmental Protection,  20.0,30,26.4,15,17.6, 
MOF,Ministry of Finance,                   35.0,45,35.9,40,46.6, 
SHX,Shanxi,                                20.0,50,44.7,50,47.8, 
HLJ,Heilongjiang,                          20.0,20,47.4,30,40.6, 
WY,CNOOC - Wang Yilin,                     40.0,15,49.0,60,46.0,
"#;
/// `SOE-Pol-Comp.turn0.txt`
pub const SOE_TURN0: &str = r#"Raw actor-pos value matrix (risk neutral)
 +1.000  +0.592  +0.955  +0.767  +0.588  +0.888  +0.937  +0.700  +0.955  +0.809  +0.717  +0.900  +0.636
 +0.675  +1.000  +0.643  +0.864  +0.963  +0.567  +0.614  +0.850  +0.643  +0.830  +0.892  +0.700  +0.777
 +0.954  +0.539  +1.000  +0.719  +0.536  +0.924  +0.959  +0.658  +1.000  +0.764  +0.670  +0.857  +0.584
 +0.762  +0.815  +0.717  +1.000  +0.814  +0.657  +0.707  +0.926  +0.717  +0.954  +0.950  +0.831  +0.820
 +0.644  +0.966  +0.610  +0.850  +1.000  +0.533  +0.581  +0.871  +0.610  +0.814  +0.890  +0.672  +0.758
 +0.873  +0.557  +0.888  +0.674  +0.539  +1.000  +0.950  +0.574  +0.888  +0.700  +0.624  +0.854  +0.646
 +0.921  +0.605  +0.929  +0.724  +0.588  +0.950  +1.000  +0.624  +0.929  +0.750  +0.674  +0.894  +0.680
 +0.700  +0.850  +0.671  +0.894  +0.869  +0.578  +0.627  +1.000  +0.671  +0.876  +0.934  +0.696  +0.694
 +0.972  +0.696  +1.000  +0.792  +0.677  +0.872  +0.917  +0.684  +1.000  +0.813  +0.744  +0.882  +0.721
 +0.817  +0.802  +0.782  +0.960  +0.800  +0.700  +0.750  +0.879  +0.782  +1.000  +0.915  +0.828  +0.758
 +0.742  +0.885  +0.710  +0.950  +0.890  +0.623  +0.672  +0.932  +0.710  +0.919  +1.000  +0.748  +0.750
 +0.900  +0.704  +0.876  +0.787  +0.678  +0.864  +0.902  +0.670  +0.876  +0.799  +0.738  +1.000  +0.801
 +0.705  +0.779  +0.673  +0.758  +0.743  +0.658  +0.690  +0.665  +0.673  +0.742  +0.736  +0.791  +1.000
Inferred risk attitudes:
 +1.000
 -0.498
 -0.452
 +0.362
 -0.500
 -0.500
 -0.497
 -0.499
 -0.452
 +0.643
 -0.383
 -0.196
 -0.500
"#;
/// `SOE-Pol-Comp.reference.txt`
pub const SOE_REFERENCE: &str = r#"History of actor positions over time:
XJ, Policy Position:  30.0  30.0  30.9  31.4  31.4  34.2  34.2  40.1  40.1  40.1  40.1  40.1  40.1  40.1  39.6  36.9  37.1  37.2  37.2  37.2  37.4  43.2  43.2  43.2  43.2  43.2  43.2  43.2
XJ, Competitive Position:  20.0  20.0  20.4  20.6  20.6  21.6  21.6  28.0  28.0  28.0  28.2  28.2  28.2  29.0  29.5  24.6  25.0  25.1  25.1  25.5  25.6  43.4  43.4  43.3  43.3  43.3  43.3  43.3
LK, Policy Position:  45.0  44.8  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  44.7  43.2  43.2  43.2  43.2  43.2  43.2  43.2
LK, Competitive Position:  65.0  64.6  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  64.4  43.4  43.3  43.3  43.3  43.3  43.3  43.3
ZG, Policy Position:  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  30.0  36.9  36.9  36.9  37.1  37.1  37.1  37.1  38.1  38.1  38.1  38.7  38.7  38.7
ZG, Competitive Position:  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  24.6  24.6  24.6  24.9  24.9  24.9  24.9  27.6  27.6  27.6  28.8  28.8  28.8
MK, Policy Position:  45.0  44.9  44.8  44.8  41.6  41.6  41.6  41.6  41.6  37.4  39.6  39.6  39.6  40.1  39.0  39.2  39.2  39.2  39.2  37.2  38.4  38.4  38.1  38.1  38.7  38.7  38.6  38.6
MK, Competitive Position:  45.0  45.0  45.0  45.0  43.5  43.5  43.5  43.5  43.5  38.5  39.4  39.4  39.4  29.0  31.8  31.7  31.7  31.7  31.7  25.5  28.3  28.3  27.6  27.6  28.9  28.8  28.8  28.8
LH, Policy Position:  50.0  49.6  49.6  49.6  49.6  49.6  49.6  40.1  40.0  40.0  38.3  38.3  38.3  38.3  38.3  38.3  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.7  38.7
LH, Competitive Position:  65.0  64.4  64.4  64.4  64.4  64.4  64.4  28.0  28.0  28.0  28.1  28.1  28.1  28.1  28.1  28.1  28.5  28.5  28.5  28.5  28.5  28.5  28.5  28.5  28.5  28.5  28.8  28.8
XS, Policy Position:  15.0  42.9  39.7  40.7  35.2  35.2  40.1  40.1  40.0  39.9  39.9  39.1  38.3  39.0  39.0  39.0  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.4  38.8  38.6  38.6
XS, Competitive Position:  10.0  38.8  35.4  36.3  26.5  26.5  39.5  39.5  39.4  39.1  39.1  34.6  28.1  32.9  32.5  32.5  28.5  28.5  28.5  28.5  28.3  28.3  28.3  28.2  28.2  30.8  29.5  29.5
NEA, Policy Position:  20.0  20.0  39.7  43.5  32.6  41.5  34.5  40.0  39.6  40.2  40.1  39.0  39.0  39.0  39.1  39.3  39.2  39.2  37.2  38.8  38.8  38.8  38.8  38.8  38.7  38.7  38.7  38.7
NEA, Competitive Position:  15.0  15.0  35.4  44.4  22.7  43.4  22.4  39.1  38.7  37.8  38.6  33.0  33.0  32.7  30.7  30.4  30.4  30.4  25.1  29.4  29.4  29.4  29.4  29.3  29.0  29.0  29.0  29.0
MLR, Policy Position:  60.0  59.7  59.4  59.4  59.4  34.2  34.2  34.2  34.2  37.4  37.4  37.4  37.4  37.4  39.6  39.2  39.2  39.2  39.2  39.2  37.4  38.3  38.3  38.7  38.7  38.7  38.6  38.7
MLR, Competitive Position:  50.0  49.8  49.6  49.6  49.6  21.6  21.6  21.6  21.6  38.5  38.5  38.5  38.5  38.5  29.5  30.4  30.4  30.4  30.4  30.4  25.6  27.2  26.9  28.9  28.9  28.7  28.7  29.0
MEP, Policy Position:  30.0  29.6  44.8  40.7  40.7  40.7  40.7  34.5  40.0  40.0  40.1  38.6  39.0  38.9  39.0  39.2  39.2  37.5  38.8  38.3  38.3  38.3  38.8  38.7  38.7  38.7  38.7  38.7
MEP, Competitive Position:  15.0  14.7  45.0  36.3  36.3  36.3  36.3  21.9  39.4  39.4  38.3  29.1  33.0  32.1  31.6  30.4  30.4  25.4  29.4  27.3  27.3  27.3  30.8  29.5  29.0  29.0  29.0  28.9
MOF, Policy Position:  45.0  42.9  42.0  42.8  41.2  41.2  41.2  41.2  41.2  40.2  40.1  39.3  39.3  39.3  39.3  39.3  37.1  38.8  38.8  38.8  38.8  38.8  38.8  38.8  38.8  38.8  38.8  38.8
MOF, Competitive Position:  40.0  38.8  38.2  38.9  37.0  37.0  37.0  37.0  37.0  37.8  38.3  35.8  35.8  35.8  35.8  35.8  25.1  30.8  30.8  30.8  30.8  30.8  30.8  30.8  30.7  30.7  30.7  30.7
SHX, Policy Position:  50.0  49.9  49.9  31.4  41.6  41.6  41.6  41.6  41.6  41.6  39.6  39.6  40.1  39.4  39.0  39.1  39.1  37.2  37.1  38.3  38.3  38.3  38.2  38.8  38.8  38.8  38.8  38.8
SHX, Competitive Position:  50.0  50.0  49.9  20.6  43.5  43.5  43.5  43.5  43.5  43.5  39.4  39.4  28.2  29.9  32.5  32.1  32.1  25.1  24.9  27.3  27.3  27.2  26.4  30.8  30.8  30.8  30.8  30.8
HLJ, Policy Position:  20.0  20.0  20.0  20.0  20.0  20.0  20.0  20.0  20.0  20.0  38.3  39.0  39.0  39.0  39.0  39.1  39.1  38.8  38.8  38.8  38.7  38.7  38.7  38.7  38.7  38.7  38.8  38.8
HLJ, Competitive Position:  30.0  29.9  29.9  29.9  29.9  29.9  29.9  29.9  29.9  29.9  28.1  33.0  33.0  32.9  31.8  31.4  31.4  29.4  29.4  29.4  28.8  28.8  28.8  28.8  28.8  28.8  30.8  30.8
WY, Policy Position:  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0  15.0
WY, Competitive Position:  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0  60.0
History of actors' winning probabilities:
XJ, prob : 0.0618 0.2605 0.1180 0.1528 0.1198 0.1375 0.1564 0.0358 0.0937 0.2052 0.1558 0.1044 0.1347 0.0645 0.1933 0.0653 0.2531 0.1868 0.1722 0.2372 0.2368 0.1232 0.0938 0.1005 0.0890 0.1705 0.1810 0.2299
LK, prob : 0.0156 0.0095 0.0075 0.0044 0.0031 0.0025 0.0026 0.0002 0.0002 0.0000 0.0000 0.0000 0.0001 0.0000 0.0000 0.0000 0.0001 0.0000 0.0001 0.0001 0.0000 0.1232 0.0938 0.1005 0.0890 0.1705 0.1810 0.2299
ZG, prob : 0.0117 0.0219 0.0026 0.0033 0.0004 0.0008 0.0007 0.0001 0.0002 0.0001 0.0000 0.0000 0.0000 0.0000 0.0000 0.0653 0.0275 0.0060 0.0355 0.0190 0.0117 0.0000 0.0536 0.0035 0.0002 0.2450 0.1777 0.1104
MK, prob : 0.4340 0.2986 0.2689 0.1470 0.1423 0.1328 0.1226 0.1593 0.1405 0.2784 0.0794 0.0438 0.0600 0.0645 0.1937 0.1343 0.1132 0.0283 0.0433 0.2372 0.2120 0.0869 0.0536 0.0035 0.4204 0.2450 0.1777 0.1104
LH, prob : 0.0028 0.0021 0.0016 0.0009 0.0006 0.0003 0.0004 0.0358 0.0937 0.2052 0.1770 0.0910 0.1470 0.0264 0.0203 0.1809 0.1773 0.1488 0.1701 0.2147 0.1771 0.1241 0.1710 0.1094 0.0715 0.0024 0.1777 0.1104
XS, prob : 0.0000 0.2413 0.2528 0.2166 0.2240 0.2074 0.1904 0.3425 0.3171 0.1916 0.1095 0.1573 0.1470 0.2349 0.1317 0.0342 0.1773 0.1488 0.1701 0.2147 0.2120 0.0869 0.1167 0.0332 0.0078 0.2453 0.2037 0.2202
NEA, prob : 0.0020 0.0002 0.2528 0.2442 0.1867 0.1695 0.1895 0.3122 0.2985 0.2432 0.1379 0.1651 0.2499 0.2414 0.2288 0.1580 0.2105 0.1479 0.1722 0.1932 0.0327 0.2204 0.1942 0.1825 0.4204 0.3057 0.2373 0.2063
MLR, prob : 0.0013 0.0010 0.0010 0.0008 0.0009 0.1375 0.1564 0.0116 0.0138 0.2784 0.1603 0.0801 0.1527 0.0120 0.1933 0.1766 0.2105 0.1479 0.1834 0.0811 0.2368 0.0150 0.0006 0.1653 0.4204 0.0311 0.0041 0.2063
MEP, prob : 0.0117 0.0032 0.2689 0.2166 0.1707 0.1808 0.1784 0.0275 0.3171 0.0744 0.1802 0.2192 0.2499 0.2061 0.2145 0.1766 0.2105 0.1900 0.2086 0.2090 0.2425 0.0150 0.2007 0.2071 0.4204 0.3057 0.2373 0.2063
MOF, prob : 0.2481 0.2413 0.2392 0.2021 0.1415 0.1559 0.1449 0.1075 0.1317 0.2432 0.1802 0.1391 0.2554 0.0708 0.0176 0.0031 0.2531 0.1344 0.1868 0.0456 0.0073 0.2770 0.2007 0.1984 0.2704 0.2453 0.1961 0.2330
SHX, prob : 0.1533 0.1015 0.0883 0.1528 0.1423 0.1328 0.1226 0.1593 0.1405 0.0059 0.0794 0.0438 0.1347 0.1438 0.1317 0.0781 0.0253 0.1868 0.0355 0.2090 0.2425 0.0150 0.0000 0.1984 0.2704 0.2453 0.1961 0.2330
HLJ, prob : 0.0689 0.0601 0.0201 0.0279 0.0098 0.0124 0.0142 0.0035 0.0043 0.0012 0.1770 0.1651 0.2499 0.2349 0.1937 0.1695 0.1929 0.1578 0.2086 0.1932 0.0798 0.1533 0.1693 0.1653 0.1407 0.2450 0.1961 0.2330
WY, prob : 0.0005 0.0002 0.0001 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0000 0.0001 0.0002
"#;

/// KTAB's "fractional change compared to first step" for each step of the dummyData_3Dim run (SMP-SPEC.md).
pub const DUMMY_RATIOS: [f64; 10] = [
    0.9999, 0.7631, 0.1780, 0.0801, 0.0853, 0.0686, 0.0639, 0.1058, 0.0398, 0.0045,
];

/// The same for the SOE-Pol-Comp run.
pub const SOE_RATIOS: [f64; 27] = [
    0.9998, 1.5581, 1.2760, 1.4887, 1.4125, 0.8069, 1.7788, 0.4293, 0.5887, 0.6602, 0.6056, 0.4835, 0.4244, 0.4397,
    0.4707, 0.3588, 0.4639, 0.2364, 0.3635, 0.2055, 0.9350, 0.1869, 0.1801, 0.0550, 0.0930, 0.0874, 0.0083,
];

/// Write `text` into `dir` as `name` and return the path (the CLI and reader take files).
pub fn write_file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

#[test]
fn embedded_copies_match_the_shared_originals() {
    // The embedded inputs are KTAB's: 7 actors in 3 dimensions, and 13 in 2.
    assert!(DUMMY_CSV.starts_with("DummyData_3Dim ,\"Dummy scenario to test reading format\",7,3,"));
    assert!(SOE_CSV.contains(", 13, 2, "));
    assert_eq!(DUMMY_REFERENCE.lines().count(), 30);
    assert_eq!(SOE_REFERENCE.lines().count(), 41);
    // The sample the README runs (`greatgame bargain examples/ktab/dummyData_3Dim.csv`) is the same text.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ktab/dummyData_3Dim.csv");
    let shipped = std::fs::read_to_string(&sample).expect("examples/ktab/dummyData_3Dim.csv is part of the repository");
    assert_eq!(
        shipped, DUMMY_CSV,
        "examples/ktab/dummyData_3Dim.csv differs from the embedded copy"
    );
    // Where the shared validation folder sits beside the repository (a developer's machine, CI), compare.
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/validation/ktab");
    if shared.is_dir() {
        for (text, file) in [
            (DUMMY_CSV, "dummyData_3Dim.csv"),
            (DUMMY_TURN0, "dummyData_3Dim.turn0.txt"),
            (DUMMY_REFERENCE, "dummyData_3Dim.reference.txt"),
            (SOE_CSV, "SOE-Pol-Comp.csv"),
            (SOE_TURN0, "SOE-Pol-Comp.turn0.txt"),
            (SOE_REFERENCE, "SOE-Pol-Comp.reference.txt"),
        ] {
            let original = std::fs::read_to_string(shared.join(file)).expect("read shared original");
            assert_eq!(text, original, "{file} differs from the shared original");
        }
    } else {
        eprintln!(
            "note: {} is not there; skipped the cross-check against it",
            shared.display()
        );
    }
}
